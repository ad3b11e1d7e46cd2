"""A local Safaricom Daraja: OAuth, M-Pesa Express push and query, Daraja-shaped callbacks.

The simulated customer and control API (`/_sandbox/...`) are shared with the PayLink sandbox;
see `duka_local.sandboxes.paylink_sandbox`. Extra control: `POST /_sandbox/revoke_tokens` makes
every issued access token invalid, as when Daraja expires one early.

The sandbox also keeps the M-Pesa network's record of completed payments
(`transactions`, by receipt): a paid STK push lands there, and so does a simulated payment to
a Till or Paybill; Transaction Status and Reversal read it.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from duka.payments.daraja import (
    INVALID_TOKEN_CODE,
    PROCESSING_CODE,
    PUSH_PATH,
    QUERY_PATH,
    TOKEN_PATH,
    nairobi_timestamp,
    stk_password,
)
from duka_local.sandboxes.daraja_c2b_sandbox import c2b_rules
from duka_local.sandboxes.daraja_reversal_sandbox import reversal_rules
from duka_local.sandboxes.paylink_sandbox import (
    MpesaSandbox,
    SimulatedPush,
    UnknownPush,
    json_response,
)

TOKEN_LIFETIME_S = "3599"  # Daraja sends expires_in as a string
_MSISDN = re.compile(r"254[17]\d{8}")
_TIMESTAMP = re.compile(r"\d{14}")
_TRANSACTION_TYPES = ("CustomerPayBillOnline", "CustomerBuyGoodsOnline")
# The simulated customer's outcome -> the ResultCode and ResultDesc M-Pesa reports.
_RESULTS: dict[str | None, tuple[int, str]] = {
    None: (0, "The service request is processed successfully."),
    "wrong_pin": (2001, "The initiator information is invalid."),
    "insufficient_funds": (1, "The balance is insufficient for the transaction."),
    "cancelled": (1032, "Request cancelled by user"),
    "timeout": (1037, "DS timeout user cannot be reached"),
}


def _is_msisdn(value: object) -> bool:
    return (
        isinstance(value, str | int)
        and not isinstance(value, bool)
        and bool(_MSISDN.fullmatch(str(value)))
    )


@dataclass
class MpesaTransaction:
    """A completed M-Pesa payment as the network records it."""

    receipt: str
    amount_kes: int
    shortcode: str  # the Till or Paybill credited
    msisdn: str
    completed_at: datetime
    kind: str  # "stk" | "c2b"
    bill_ref: str | None = None  # the account number typed for a Paybill payment
    reversed_kes: int = 0


def _is_text_up_to(limit: int) -> Callable[[object], bool]:
    return lambda value: isinstance(value, str) and 1 <= len(value) <= limit


class DarajaSandbox(MpesaSandbox):
    push_path = PUSH_PATH

    def __init__(
        self,
        *,
        consumer_key: str,
        consumer_secret: str,
        shortcode: str,
        passkey: str,
        party_b: str | None = None,
        initiator_name: str | None = None,
        security_credential: str | None = None,
    ) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.shortcode = shortcode
        self.passkey = passkey
        self.party_b = party_b or shortcode
        # The API operator Transaction Status and Reversal requests must name, and its
        # encrypted password; None: those APIs refuse every request (no operator set up).
        self.initiator_name = initiator_name
        self.security_credential = security_credential
        self._tokens: set[str] = set()
        self._transactions: dict[str, MpesaTransaction] = {}
        super().__init__()

    def api_rules(self) -> list[Rule]:
        return [
            Rule(TOKEN_PATH, methods=["GET"], endpoint=self._issue_token),
            Rule(PUSH_PATH, methods=["POST"], endpoint=self._push),
            Rule(QUERY_PATH, methods=["POST"], endpoint=self._query),
            Rule("/_sandbox/revoke_tokens", methods=["POST"], endpoint=self._revoke_tokens),
            *reversal_rules(self),
            *c2b_rules(self),
        ]

    def revoke_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def answer(
        self,
        reference: str,
        action: str,
        *,
        reason: str | None = None,
        lose_callback: bool = False,
    ) -> SimulatedPush:
        """As the base class; a paid push also becomes a transaction on the network."""
        push = super().answer(reference, action, reason=reason, lose_callback=lose_callback)
        if push.status == "success" and push.transaction_id:
            self.record_transaction(
                MpesaTransaction(
                    receipt=push.transaction_id,
                    amount_kes=push.amount_kes,
                    shortcode=self.party_b,
                    msisdn=push.phone,
                    completed_at=datetime.now(UTC),
                    kind="stk",
                )
            )
        return push

    def record_transaction(self, transaction: MpesaTransaction) -> None:
        with self._lock:
            self._transactions[transaction.receipt] = transaction

    def find_transaction(self, receipt: str) -> MpesaTransaction | None:
        """A copy of the network's record of this receipt, if any."""
        with self._lock:
            found = self._transactions.get(receipt)
            return replace(found) if found else None

    def add_reversed(self, receipt: str, amount_kes: int) -> None:
        with self._lock:
            self._transactions[receipt].reversed_kes += amount_kes

    def callback_for(self, push: SimulatedPush) -> tuple[bytes, dict[str, str]]:
        result_code, result_desc = _RESULTS[push.reason]
        callback: dict[str, Any] = {
            "MerchantRequestID": push.merchant_reference,
            "CheckoutRequestID": push.checkout_request_id,
            "ResultCode": result_code,
            "ResultDesc": result_desc,
        }
        if push.status == "success":
            callback["CallbackMetadata"] = {
                "Item": [
                    {"Name": "Amount", "Value": float(push.amount_kes)},
                    {"Name": "MpesaReceiptNumber", "Value": push.transaction_id},
                    {"Name": "Balance"},
                    {"Name": "TransactionDate", "Value": int(nairobi_timestamp(datetime.now(UTC)))},
                    {"Name": "PhoneNumber", "Value": int(push.phone)},
                ]
            }
        return json.dumps({"Body": {"stkCallback": callback}}).encode(), {}

    def error_response(self, status: int, message: str) -> Response:
        return _daraja_error(status, f"{status}.001.01", message)

    def _issue_token(self, request: Request) -> Response:
        if request.args.get("grant_type") != "client_credentials":
            return _daraja_error(400, "400.008.02", "Invalid grant type passed")
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or not hmac.compare_digest(auth.username or "", self.consumer_key)
            or not hmac.compare_digest(auth.password or "", self.consumer_secret)
        ):
            return _daraja_error(400, "400.008.01", "Invalid Authentication passed")
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return json_response(200, {"access_token": token, "expires_in": TOKEN_LIFETIME_S})

    def _revoke_tokens(self, request: Request) -> Response:
        self.revoke_tokens()
        return json_response(200, {"ok": True})

    def _token_refused(self, request: Request) -> Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock:
            if token in self._tokens:
                return None
        return _daraja_error(401, INVALID_TOKEN_CODE, "Invalid Access Token")

    def _push(self, request: Request) -> Response:
        if (refused := self._token_refused(request)) is not None:
            return refused
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _daraja_error(400, "400.002.05", "Invalid Request Payload")
        checks: dict[str, Callable[[object], bool]] = {
            "TransactionType": lambda value: value in _TRANSACTION_TYPES,
            "Amount": lambda value: type(value) is int and value >= 1,
            "PartyA": _is_msisdn,
            "PartyB": lambda value: str(value) == self.party_b,
            "PhoneNumber": _is_msisdn,
            "CallBackURL": lambda value: str(value).startswith(("http://", "https://")),
            "AccountReference": _is_text_up_to(12),
            "TransactionDesc": _is_text_up_to(13),
        }
        invalid = self._invalid_credential(body) or next(
            (field for field, valid in checks.items() if not valid(body.get(field))), None
        )
        if invalid is not None:
            return _daraja_error(400, "400.002.02", f"Bad Request - Invalid {invalid}")
        push = SimulatedPush(
            checkout_request_id=f"ws_CO_{body['Timestamp']}{secrets.randbelow(10**6):06d}",
            merchant_reference=f"{secrets.randbelow(10**5)}-{secrets.randbelow(10**8)}-1",
            order_reference=body["AccountReference"],
            phone=str(body["PhoneNumber"]),
            amount_kes=body["Amount"],
            callback_url=body["CallBackURL"],
            request=body,
        )
        self.record(push)
        accepted = "Success. Request accepted for processing"
        return json_response(
            200,
            {
                "MerchantRequestID": push.merchant_reference,
                "CheckoutRequestID": push.checkout_request_id,
                "ResponseCode": "0",
                "ResponseDescription": accepted,
                "CustomerMessage": accepted,
            },
        )

    def _query(self, request: Request) -> Response:
        if (refused := self._token_refused(request)) is not None:
            return refused
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _daraja_error(400, "400.002.05", "Invalid Request Payload")
        if (invalid := self._invalid_credential(body)) is not None:
            return _daraja_error(400, "400.002.02", f"Bad Request - Invalid {invalid}")
        checkout_request_id = str(body.get("CheckoutRequestID"))
        with self._lock:
            try:
                push = replace(self._find(checkout_request_id))
            except UnknownPush:
                push = None
        if push is None or push.checkout_request_id != checkout_request_id:
            return _daraja_error(400, "400.002.02", "Bad Request - Invalid CheckoutRequestID")
        if push.status == "pending":
            return _daraja_error(500, PROCESSING_CODE, "The transaction is being processed")
        result_code, result_desc = _RESULTS[push.reason]
        return json_response(
            200,
            {
                "ResponseCode": "0",
                "ResponseDescription": "The service request has been accepted successsfully",
                "MerchantRequestID": push.merchant_reference,
                "CheckoutRequestID": push.checkout_request_id,
                "ResultCode": str(result_code),
                "ResultDesc": result_desc,
            },
        )

    def invalid_initiator(self, body: dict[str, Any]) -> str | None:
        """ "Initiator" or "SecurityCredential" when the request's operator is not the one
        set up (Daraja answers 2001, "The initiator information is invalid")."""
        if self.initiator_name is None or body.get("Initiator") != self.initiator_name:
            return "Initiator"
        if not hmac.compare_digest(
            str(body.get("SecurityCredential")), self.security_credential or ""
        ):
            return "SecurityCredential"
        return None

    def token_refused(self, request: Request) -> Response | None:
        """Daraja's 401 for a request without a live access token; None when it has one."""
        return self._token_refused(request)

    def _invalid_credential(self, body: dict[str, Any]) -> str | None:
        """The first of BusinessShortCode, Timestamp, Password that is wrong, if any."""
        if str(body.get("BusinessShortCode")) != self.shortcode:
            return "BusinessShortCode"
        timestamp = body.get("Timestamp")
        if not isinstance(timestamp, str) or not _TIMESTAMP.fullmatch(timestamp):
            return "Timestamp"
        expected = stk_password(self.shortcode, self.passkey, timestamp)
        if not hmac.compare_digest(str(body.get("Password")), expected):
            return "Password"
        return None


def _daraja_error(status: int, code: str, message: str) -> Response:
    request_id = f"{secrets.randbelow(10**5)}-{secrets.randbelow(10**8)}-1"
    return json_response(
        status, {"requestId": request_id, "errorCode": code, "errorMessage": message}
    )
