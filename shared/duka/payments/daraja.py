"""Safaricom Daraja M-Pesa Express (STK push) adapter.

Daraja callbacks are unsigned: they are authenticated by a secret token in the callback path
(`<callback_url>/<callback_token>`; duka.orders.gateway_choice gives each boutique its own URL and
token), and every final callback must be confirmed with `query_status` before it is applied.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from duka.payments.base import (
    CallbackRejected,
    DarajaConfig,
    FailureReason,
    ForgedCallback,
    GatewayConfigError,
    GatewayDeclined,
    GatewayUnavailable,
    HttpGateway,
    PaymentResult,
    PaymentStatus,
    RetryPolicy,
    StkPushAccepted,
    StkPushRequest,
    json_object,
    mpesa_outcome,
    result_code_text,
    send_repeatable,
    whole_kes,
)
from duka.phone import to_msisdn

TOKEN_PATH = "/oauth/v1/generate"
PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
QUERY_PATH = "/mpesa/stkpushquery/v1/query"
INVALID_TOKEN_CODE = "404.001.03"
PROCESSING_CODE = "500.001.1001"
ACCOUNT_REFERENCE_MAX = 12
TRANSACTION_DESC_MAX = 13
# Renew the token this long before Daraja says it expires, so no request carries a dying token.
TOKEN_MARGIN = timedelta(seconds=60)
# Kenya keeps East Africa Time all year (no DST), so a fixed offset equals Africa/Nairobi.
NAIROBI = timezone(timedelta(hours=3), "EAT")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def nairobi_timestamp(moment: datetime) -> str:
    """Daraja's `Timestamp`: YYYYMMDDHHmmss in Nairobi time."""
    return moment.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    """Daraja's `Password`: base64(shortcode + passkey + timestamp)."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode()


@dataclass(frozen=True)
class _AccessToken:
    value: str
    renew_at: datetime


class DarajaGateway(HttpGateway):
    name = "daraja"
    config_type = DarajaConfig
    label = "Daraja"

    def __init__(
        self, config: DarajaConfig, *, clock: Clock = utc_now, retry: RetryPolicy | None = None
    ) -> None:
        super().__init__(config, retry=retry)
        self._config = config
        self._clock = clock
        self._token: _AccessToken | None = None
        self._token_lock = threading.Lock()

    def callback_requires_confirmation(self) -> bool:
        return True

    def fresh_access_token(self, *, renew: bool = False) -> str:
        """A live token for Daraja's other APIs; `renew` after Daraja refused the cached one."""
        if renew:
            with self._token_lock:
                self._token = None
        return self._access_token()

    def initiate_stk_push(self, request: StkPushRequest) -> StkPushAccepted:
        msisdn = to_msisdn(request.phone_e164)
        payload = {
            **self._credentials(),
            "TransactionType": self._config.transaction_type,
            "Amount": request.amount_kes,
            "PartyA": msisdn,
            "PartyB": self._config.party_b,
            "PhoneNumber": msisdn,
            "CallBackURL": f"{request.callback_url.rstrip('/')}/{self._config.callback_token}",
            "AccountReference": request.account_reference[:ACCOUNT_REFERENCE_MAX],
            "TransactionDesc": request.description[:TRANSACTION_DESC_MAX],
        }
        http_request = self._client.build_request(
            "POST", PUSH_PATH, json=payload, headers=self._bearer()
        )
        body = self._send_push(request, http_request)
        if result_code_text(body.get("ResponseCode", "0")) != "0":
            raise GatewayDeclined(
                f"Daraja refused the push: {body.get('ResponseDescription')}",
                code=str(body.get("ResponseCode")),
            )
        return self._accepted(
            request,
            body.get("CheckoutRequestID"),
            unknown_outcome=f"Daraja answered the push for order {request.order_id} without a "
            f"CheckoutRequestID: {body}",
            customer_message=body.get("CustomerMessage"),
        )

    def query_status(self, checkout_request_id: str) -> PaymentResult:
        payload = {**self._credentials(), "CheckoutRequestID": checkout_request_id}
        http_request = self._client.build_request(
            "POST", QUERY_PATH, json=payload, headers=self._bearer()
        )
        response = send_repeatable(
            self._client,
            http_request,
            self._retry,
            gateway=self.name,
            should_retry=lambda answer: answer.status_code >= 500 and not _still_processing(answer),
        )
        body = json_object(response)
        outcome: tuple[PaymentStatus, FailureReason | None] = (PaymentStatus.PENDING, None)
        if not _still_processing(response):
            self._raise_for_refusal(response, body)
            if body.get("ResultCode") is not None:
                outcome = mpesa_outcome(body["ResultCode"])
        result_code = body.get("ResultCode", body.get("errorCode"))
        return _daraja_result(
            outcome,
            checkout_request_id,
            None if result_code is None else result_code_text(result_code),
            body.get("ResultDesc") or body.get("errorMessage"),
            body,
        )

    def parse_callback(
        self, *, headers: Mapping[str, str], body: bytes, path_token: str | None
    ) -> PaymentResult:
        if path_token is None or not hmac.compare_digest(
            path_token.encode(), self._config.callback_token.encode()
        ):
            raise ForgedCallback("Daraja callback path token is wrong")
        try:
            return self._callback_result(json.loads(body))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise CallbackRejected(f"Daraja callback is malformed: {exc!r}") from exc

    def _callback_result(self, payload: Any) -> PaymentResult:
        callback = payload["Body"]["stkCallback"]
        checkout_request_id = callback["CheckoutRequestID"]
        if not isinstance(checkout_request_id, str) or not checkout_request_id:
            raise ValueError("CheckoutRequestID is missing")
        outcome = mpesa_outcome(callback["ResultCode"])
        items = (callback.get("CallbackMetadata") or {}).get("Item") or []
        # Read by Name: the order varies and some items (e.g. Balance) come without a Value.
        metadata = {item["Name"]: item["Value"] for item in items if "Value" in item}
        receipt = metadata.get("MpesaReceiptNumber")
        return _daraja_result(
            outcome,
            checkout_request_id,
            result_code_text(callback["ResultCode"]),
            callback.get("ResultDesc"),
            payload,
            amount_kes=whole_kes(metadata.get("Amount")),
            transaction_id=None if receipt is None else str(receipt),
        )

    @property
    def config(self) -> DarajaConfig:
        """Who this gateway acts for: C2B and Transaction Status name its shortcode and
        initiator (duka.payments.daraja_c2b)."""
        return self._config

    def post_repeatable(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """POST a request that is safe to repeat (C2B URL registration, Transaction Status)
        with a live access token, retrying server errors; refusals raised as for a query."""
        http_request = self._client.build_request(
            "POST", path, json=dict(payload), headers=self._bearer()
        )
        response = send_repeatable(self._client, http_request, self._retry, gateway=self.name)
        body = json_object(response)
        self._raise_for_refusal(response, body)
        return body

    def _credentials(self) -> dict[str, str]:
        timestamp = nairobi_timestamp(self._clock())
        return {
            "BusinessShortCode": self._config.shortcode,
            "Password": stk_password(self._config.shortcode, self._config.passkey, timestamp),
            "Timestamp": timestamp,
        }

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access_token()}"}

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token is None or self._clock() >= self._token.renew_at:
                self._token = self._fetch_token()
            return self._token.value

    def _fetch_token(self) -> _AccessToken:
        http_request = self._client.build_request(
            "GET",
            TOKEN_PATH,
            params={"grant_type": "client_credentials"},
            headers={"Authorization": self._basic_auth()},
        )
        response = send_repeatable(self._client, http_request, self._retry, gateway=self.name)
        body = json_object(response)
        if response.status_code in (400, 401, 403):
            raise GatewayConfigError(
                "Daraja rejected DARAJA_CONSUMER_KEY / DARAJA_CONSUMER_SECRET: "
                f"{body.get('errorMessage') or response.reason_phrase}"
            )
        try:
            response.raise_for_status()
            lifetime = timedelta(seconds=int(body["expires_in"]))
            return _AccessToken(str(body["access_token"]), self._clock() + lifetime - TOKEN_MARGIN)
        except (httpx.HTTPStatusError, KeyError, ValueError) as exc:
            raise GatewayUnavailable(f"Daraja gave no usable access token: {exc!r}") from exc

    def _basic_auth(self) -> str:
        pair = f"{self._config.consumer_key}:{self._config.consumer_secret}"
        return f"Basic {base64.b64encode(pair.encode()).decode()}"

    def _refusal(self, response: httpx.Response, body: Mapping[str, Any]) -> tuple[str, str | None]:
        code = body.get("errorCode")
        message = str(body.get("errorMessage") or response.reason_phrase)
        if response.status_code == 401 or code == INVALID_TOKEN_CODE:
            # Refused at the door, so nothing was sent; the next call fetches a fresh token.
            with self._token_lock:
                self._token = None
            raise GatewayUnavailable(f"Daraja rejected the access token: {message}")
        return message, None if code is None else str(code)


def _daraja_result(
    outcome: tuple[PaymentStatus, FailureReason | None],
    checkout_request_id: str,
    result_code: str | None,
    result_desc: Any,
    raw: Mapping[str, Any],
    *,
    amount_kes: int | None = None,
    transaction_id: str | None = None,
) -> PaymentResult:
    """A query's or callback's result; Daraja is matched by CheckoutRequestID alone."""
    status, failure_reason = outcome
    return PaymentResult(
        gateway=DarajaGateway.name,
        status=status,
        checkout_request_id=checkout_request_id,
        mpesa_reference=None,
        order_reference=None,
        amount_kes=amount_kes,
        transaction_id=transaction_id,
        failure_reason=failure_reason,
        result_code=result_code,
        result_desc=result_desc,
        raw=raw,
    )


def _still_processing(response: httpx.Response) -> bool:
    """Daraja answers a status query with this error while the customer has not yet responded."""
    body = json_object(response)
    message = str(body.get("errorMessage", "")).lower()
    return body.get("errorCode") == PROCESSING_CODE and "being processed" in message
