"""Daraja's C2B and Transaction Status wire formats: money paid to the shop's Till or Paybill.

C2B: the shop registers a validation and a confirmation URL for its shortcode (Register URL
v2); Daraja then posts every payment to it. Transaction Status: asked about one receipt, Daraja
answers "accepted" at once and posts the result to the ResultURL later (or to the
QueueTimeOutURL). Both URLs are the boutique's own notice URLs
(duka.orders.daraja_notices.notice_url). This module only speaks the wire; what a payment
means for an order is duka.orders.code_claims.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from duka.payments.base import CallbackRejected, GatewayConfigError, whole_kes
from duka.payments.daraja import DarajaGateway

REGISTER_PATH = "/mpesa/c2b/v2/registerurl"
STATUS_PATH = "/mpesa/transactionstatus/v1/query"
# PartyA's IdentifierType in Daraja's Transaction Status: 2 a Till number, 4 an organisation
# shortcode (a Paybill).
IDENTIFIER_TILL = "2"
IDENTIFIER_SHORTCODE = "4"
# The notice kinds (URL path segments) this module's URLs use.
VALIDATION = "c2b-validation"
CONFIRMATION = "c2b-confirmation"
STATUS_RESULT = "status-result"
STATUS_TIMEOUT = "status-timeout"
# What Daraja expects back from a confirmation (and, for "accept", a validation).
ACCEPTED: Mapping[str, Any] = {"ResultCode": 0, "ResultDesc": "Accepted"}


@dataclass(frozen=True)
class C2BPayment:
    """One C2B confirmation: money the network says reached `shortcode`."""

    receipt: str
    amount: Decimal
    shortcode: str
    bill_ref: str | None  # the account number typed (Paybill); empty for a Till
    msisdn: str | None


@dataclass(frozen=True)
class StatusResult:
    """A Transaction Status result; `found` only for a completed payment M-Pesa knows."""

    conversation_ref: str | None
    originator_ref: str | None
    found: bool
    receipt: str | None
    amount: Decimal | None
    shortcode: str | None  # from CreditPartyName "600000 - Shop"
    result_code: str
    result_desc: str


def _loads(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise CallbackRejected(f"Daraja {what} is not JSON: {exc}") from exc


def read_confirmation(body: bytes) -> C2BPayment:
    """A C2B validation or confirmation body; CallbackRejected when unreadable."""
    payload = _loads(body, "C2B notification")
    try:
        receipt = str(payload["TransID"]).strip().upper()
        amount = whole_kes(payload["TransAmount"])
        shortcode = str(payload["BusinessShortCode"]).strip()
        if not receipt or not shortcode or amount is None or amount <= 0:
            raise ValueError("TransID, TransAmount and BusinessShortCode are required")
    except (KeyError, TypeError, ValueError) as exc:
        raise CallbackRejected(f"Daraja C2B notification is malformed: {exc!r}") from exc
    bill_ref = str(payload.get("BillRefNumber") or "").strip().upper() or None
    msisdn = str(payload.get("MSISDN") or "").strip() or None
    return C2BPayment(receipt, Decimal(amount), shortcode, bill_ref, msisdn)


def read_status_result(body: bytes) -> StatusResult:
    """A Transaction Status result (or a queue timeout, which is never `found`)."""
    payload = _loads(body, "Transaction Status result")
    try:
        result = payload["Result"]
        code = str(result["ResultCode"]).strip()
        items = ((result.get("ResultParameters") or {}).get("ResultParameter")) or []
        if isinstance(items, dict):  # a single parameter arrives as an object
            items = [items]
        values = {str(item["Key"]): item.get("Value") for item in items}
    except (AttributeError, KeyError, TypeError) as exc:
        raise CallbackRejected(f"Daraja Transaction Status result is malformed: {exc!r}") from exc
    completed = str(values.get("TransactionStatus") or "").lower() == "completed"
    try:
        amount = whole_kes(values.get("Amount"))
    except ValueError:
        amount = None
    credit = str(values.get("CreditPartyName") or "")
    receipt = values.get("ReceiptNo")
    return StatusResult(
        conversation_ref=_text(result.get("ConversationID")),
        originator_ref=_text(result.get("OriginatorConversationID")),
        found=code == "0" and completed and receipt is not None and amount is not None,
        receipt=str(receipt).upper() if receipt else None,
        amount=None if amount is None else Decimal(amount),
        shortcode=credit.split(" - ", 1)[0].strip() or None,
        result_code=code,
        result_desc=str(result.get("ResultDesc") or ""),
    )


def read_status_timeout(body: bytes) -> tuple[str | None, str | None]:
    """A queue timeout names the request it gave up on: (ConversationID, Originator...ID)."""
    payload = _loads(body, "queue timeout")
    result = payload.get("Result") if isinstance(payload, dict) else None
    source = result if isinstance(result, dict) else payload
    if not isinstance(source, dict):
        raise CallbackRejected("Daraja queue timeout is malformed")
    return _text(source.get("ConversationID")), _text(source.get("OriginatorConversationID"))


def register_urls(
    gateway: DarajaGateway, shortcode: str, confirmation_url: str, validation_url: str
) -> dict[str, Any]:
    """Register the shop's C2B URLs (Daraja answers the same for a repeat)."""
    return gateway.post_repeatable(
        REGISTER_PATH,
        {
            "ShortCode": shortcode,
            "ResponseType": "Completed",
            "ConfirmationURL": confirmation_url,
            "ValidationURL": validation_url,
        },
    )


def query_status(
    gateway: DarajaGateway,
    *,
    receipt: str,
    shortcode: str,
    identifier_type: str,
    result_url: str,
    timeout_url: str,
) -> tuple[str | None, str | None]:
    """Ask M-Pesa about one receipt paid to `shortcode`; the answer comes to `result_url`.
    Returns the request's (ConversationID, OriginatorConversationID)."""
    config = gateway.config
    if not config.initiator_name or not config.security_credential:
        raise GatewayConfigError(
            "DARAJA_INITIATOR_NAME and DARAJA_SECURITY_CREDENTIAL are needed to check a code"
        )
    answer = gateway.post_repeatable(
        STATUS_PATH,
        {
            "Initiator": config.initiator_name,
            "SecurityCredential": config.security_credential,
            "CommandID": "TransactionStatusQuery",
            "TransactionID": receipt,
            "PartyA": shortcode,
            "IdentifierType": identifier_type,
            "ResultURL": result_url,
            "QueueTimeOutURL": timeout_url,
            "Remarks": "Order payment check",
            "Occasion": "Till code",
        },
    )
    return _text(answer.get("ConversationID")), _text(answer.get("OriginatorConversationID"))


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
