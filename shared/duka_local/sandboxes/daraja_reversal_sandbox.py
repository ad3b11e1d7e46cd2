"""The Daraja sandbox's Reversal API, against the network's record of completed payments.

`POST /mpesa/reversal/v1/request` is answered at once with Daraja's ids; M-Pesa's result is
posted to the request's ResultURL from a thread, so it may arrive before the caller has stored
those ids. A receipt the network does not know, or more than remains of it, fails with M-Pesa's
ResultCode; a request whose operator (Initiator, SecurityCredential) is wrong fails with 2001.
Unlike Safaricom, which reverses whole transactions, the sandbox honours a partial Amount.

Control (JSON):
- `POST /_sandbox/reversals/next {"outcome": "fail"}` (optional "result_code", "result_desc"),
  `{"outcome": "timeout"}` or `{"outcome": "refuse"}`: the next reversal fails, times out in
  M-Pesa's queue (its notice goes to the QueueTimeOutURL), or is refused at once (HTTP 400 with
  Daraja's errorCode and errorMessage; no notice follows). With "receipt", only the next reversal
  of that M-Pesa receipt (other payments' reversals, e.g. sent by a relay meanwhile, go on).
- `GET /_sandbox/reversals`: every reversal requested and how its notice was delivered.
"""

from __future__ import annotations

import secrets
import threading
import weakref
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from duka.payments.daraja import nairobi_timestamp
from duka.payments.daraja_reversal import COMMAND_ID, RECEIVER_IDENTIFIER_TYPE, REVERSAL_PATH
from duka_local.sandboxes.paylink_sandbox import json_response

if TYPE_CHECKING:
    from duka_local.sandboxes.daraja_sandbox import DarajaSandbox

# M-Pesa's ResultCode and ResultDesc per way a reversal ends.
RESULTS: dict[str, tuple[str, str]] = {
    "done": ("0", "The service request is processed successfully."),
    "unknown_receipt": ("R000002", "The OriginalTransactionID is invalid."),
    "already_reversed": ("R000001", "The transaction has already been reversed."),
    "too_much": ("1", "The balance is insufficient for the transaction."),
    "bad_initiator": ("2001", "The initiator information is invalid."),
    "fail": ("1", "The balance is insufficient for the transaction."),
    "timeout": ("1", "The service request timed out."),
    "refuse": ("400.002.02", "Bad Request - Invalid TransactionID"),
}
_OUTCOMES = ("fail", "timeout", "refuse")


@dataclass
class SimulatedReversal:
    originator_conversation_id: str
    conversation_id: str
    receipt: str
    amount_kes: int
    request: dict[str, Any]
    outcome: str = "pending"  # a key of RESULTS
    notice_status: int | None = None
    notice_error: str | None = None


@dataclass
class _Next:
    outcome: str
    result_code: str | None
    result_desc: str | None


class ReversalDesk:
    """One sandbox's reversals: requests received, the next forced outcome, notices sent."""

    def __init__(self, sandbox: DarajaSandbox) -> None:
        self._sandbox = weakref.proxy(sandbox)
        self._lock = threading.Lock()
        self._reversals: list[SimulatedReversal] = []
        self._next: dict[str | None, _Next] = {}  # by receipt; None: whichever comes next

    @property
    def reversals(self) -> list[SimulatedReversal]:
        with self._lock:
            return [replace(reversal) for reversal in self._reversals]

    def force_next(
        self,
        outcome: str,
        result_code: str | None = None,
        result_desc: str | None = None,
        receipt: str | None = None,
    ) -> None:
        if outcome not in _OUTCOMES:
            raise ValueError(f"outcome must be one of {_OUTCOMES}")
        with self._lock:
            self._next[receipt] = _Next(outcome, result_code, result_desc)

    def request(self, request: Request) -> Response:
        if (refused := self._sandbox.token_refused(request)) is not None:
            return refused
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "400.002.05", "Invalid Request Payload")
        if (invalid := self._invalid_field(body)) is not None:
            return _error(400, "400.002.02", f"Bad Request - Invalid {invalid}")
        with self._lock:
            forced = self._next.pop(str(body["TransactionID"]), None) or self._next.pop(None, None)
        if forced is not None and forced.outcome == "refuse":
            code, desc = RESULTS["refuse"]
            return _error(400, forced.result_code or code, forced.result_desc or desc)
        reversal = SimulatedReversal(
            originator_conversation_id=f"{secrets.randbelow(10**5)}-{secrets.randbelow(10**8)}-1",
            conversation_id=f"AG_{datetime.now(UTC):%Y%m%d}_{secrets.token_hex(10)}",
            receipt=str(body["TransactionID"]),
            amount_kes=int(body["Amount"]),
            request=body,
        )
        with self._lock:
            self._reversals.append(reversal)
        threading.Thread(
            target=self._conclude, args=(reversal, forced), name="reversal-result", daemon=True
        ).start()
        return json_response(
            200,
            {
                "OriginatorConversationID": reversal.originator_conversation_id,
                "ConversationID": reversal.conversation_id,
                "ResponseCode": "0",
                "ResponseDescription": "Accept the service request successfully.",
            },
        )

    def listing(self, request: Request) -> Response:
        return json_response(200, {"reversals": [asdict(r) for r in self.reversals]})

    def next(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        try:
            self.force_next(
                str(body.get("outcome")),
                body.get("result_code"),
                body.get("result_desc"),
                body.get("receipt"),
            )
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(200, {"ok": True})

    def _invalid_field(self, body: dict[str, Any]) -> str | None:
        amount = body.get("Amount")
        checks = {
            "CommandID": body.get("CommandID") == COMMAND_ID,
            "TransactionID": isinstance(body.get("TransactionID"), str)
            and bool(body["TransactionID"]),
            "Amount": (type(amount) is int and amount >= 1)
            or (isinstance(amount, str) and amount.isdigit() and int(amount) >= 1),
            "ReceiverParty": str(body.get("ReceiverParty"))
            in (self._sandbox.party_b, self._sandbox.shortcode),
            "RecieverIdentifierType": str(body.get("RecieverIdentifierType"))
            == RECEIVER_IDENTIFIER_TYPE,
            "ResultURL": str(body.get("ResultURL")).startswith(("http://", "https://")),
            "QueueTimeOutURL": str(body.get("QueueTimeOutURL")).startswith(("http://", "https://")),
        }
        return next((field for field, valid in checks.items() if not valid), None)

    def _conclude(self, reversal: SimulatedReversal, forced: _Next | None) -> None:
        """M-Pesa's side: reverse (or not), then post the notice."""
        code: str | None = None
        desc: str | None = None
        if forced is not None:
            outcome, code, desc = forced.outcome, forced.result_code, forced.result_desc
        else:
            outcome = self._outcome(reversal)
        if outcome == "done":
            self._sandbox.add_reversed(reversal.receipt, reversal.amount_kes)
        default_code, default_desc = RESULTS[outcome]
        result: dict[str, Any] = {
            "ResultType": 1 if outcome == "timeout" else 0,
            "ResultCode": code or default_code,
            "ResultDesc": desc or default_desc,
            "OriginatorConversationID": reversal.originator_conversation_id,
            "ConversationID": reversal.conversation_id,
        }
        if outcome != "timeout":
            result["TransactionID"] = "R" + secrets.token_hex(5).upper()[:9]
        if outcome == "done":
            result["ResultParameters"] = {"ResultParameter": self._parameters(reversal)}
        url = reversal.request["QueueTimeOutURL" if outcome == "timeout" else "ResultURL"]
        status: int | None = None
        error: str | None = None
        try:
            status = httpx.post(url, json={"Result": result}, timeout=10).status_code
        except httpx.HTTPError as exc:
            error = repr(exc)
        with self._lock:
            for kept in self._reversals:
                if kept.conversation_id == reversal.conversation_id:
                    kept.outcome, kept.notice_status, kept.notice_error = outcome, status, error

    def _outcome(self, reversal: SimulatedReversal) -> str:
        if self._sandbox.invalid_initiator(reversal.request) is not None:
            return "bad_initiator"
        transaction = self._sandbox.find_transaction(reversal.receipt)
        if transaction is None or transaction.shortcode != str(reversal.request["ReceiverParty"]):
            return "unknown_receipt"
        remaining = transaction.amount_kes - transaction.reversed_kes
        if remaining <= 0:
            return "already_reversed"
        return "too_much" if reversal.amount_kes > remaining else "done"

    def _parameters(self, reversal: SimulatedReversal) -> list[dict[str, Any]]:
        transaction = self._sandbox.find_transaction(reversal.receipt)
        customer = transaction.msisdn if transaction else ""
        return [
            {"Key": "DebitAccountBalance", "Value": "Utility Account|KES|51661.00|51661.00|0.00"},
            {"Key": "Amount", "Value": reversal.amount_kes},
            {"Key": "TransCompletedTime", "Value": int(nairobi_timestamp(datetime.now(UTC)))},
            {"Key": "OriginalTransactionID", "Value": reversal.receipt},
            {"Key": "Charge", "Value": 0},
            {"Key": "CreditPartyPublicName", "Value": f"{customer} - Customer"},
            {"Key": "DebitPartyPublicName", "Value": f"{self._sandbox.party_b} - Duka Shop"},
        ]


_desks: weakref.WeakKeyDictionary[DarajaSandbox, ReversalDesk] = weakref.WeakKeyDictionary()


def reversal_desk(sandbox: DarajaSandbox) -> ReversalDesk:
    """The sandbox's reversals, for tests running it in process."""
    return _desks[sandbox]


def reversal_rules(sandbox: DarajaSandbox) -> list[Rule]:
    """The Reversal API and its control endpoints, for `DarajaSandbox.api_rules`."""
    desk = _desks.setdefault(sandbox, ReversalDesk(sandbox))
    return [
        Rule(REVERSAL_PATH, methods=["POST"], endpoint=desk.request),
        Rule("/_sandbox/reversals", methods=["GET"], endpoint=desk.listing),
        Rule("/_sandbox/reversals/next", methods=["POST"], endpoint=desk.next),
    ]


def _error(status: int, code: str, message: str) -> Response:
    request_id = f"{secrets.randbelow(10**5)}-{secrets.randbelow(10**8)}-1"
    return json_response(
        status, {"requestId": request_id, "errorCode": code, "errorMessage": message}
    )
