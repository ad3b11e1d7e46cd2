"""Daraja's Reversal API: give (part of) an M-Pesa payment back to the customer who paid it.

Asynchronous: Daraja acknowledges a request with its ids (OriginatorConversationID,
ConversationID); M-Pesa's outcome arrives later at the ResultURL, or at the QueueTimeOutURL when
the request waited in M-Pesa's queue too long and was dropped unprocessed. A request is sent at
most once, like an STK push: repeated, it could give the money back twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from duka.errors import Transient
from duka.payments.base import (
    CallbackRejected,
    GatewayConfigError,
    GatewayDeclined,
    GatewayUnavailable,
    PaymentError,
    RetryPolicy,
    http_timeout,
    json_object,
    result_code_text,
    whole_kes,
)
from duka.payments.daraja import DarajaGateway

REVERSAL_PATH = "/mpesa/reversal/v1/request"
COMMAND_ID = "TransactionReversal"
# The party the money goes back from is the shop's shortcode ("11"); Daraja's own spelling of
# the key is "RecieverIdentifierType".
RECEIVER_IDENTIFIER_TYPE = "11"
TEXT_MAX = 100  # Remarks and Occasion
SUCCESS = "0"
# Failures before a byte of the request could reach Daraja: safe to try again.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class ReversalOutcomeUnknown(PaymentError, Transient):
    """The request may have reached M-Pesa: wait for its result, never send it again."""


@dataclass(frozen=True)
class ReversalRequest:
    receipt: str  # the M-Pesa receipt of the payment to reverse
    amount_kes: int
    result_url: str
    timeout_url: str
    remarks: str
    occasion: str


@dataclass(frozen=True)
class ReversalAccepted:
    originator_conversation_id: str
    conversation_id: str


@dataclass(frozen=True)
class ReversalResult:
    """What a result (or queue timeout) notification says about one request."""

    originator_conversation_id: str
    conversation_id: str
    done: bool
    result_code: str
    result_desc: str
    reversal_receipt: str | None  # M-Pesa's transaction id of the reversal
    original_receipt: str | None
    amount_kes: int | None


def request_reversal(
    gateway: DarajaGateway, request: ReversalRequest, *, retry: RetryPolicy | None = None
) -> ReversalAccepted:
    """Ask Daraja to reverse `amount_kes` of the payment `receipt`.

    Raises GatewayConfigError (no API operator set up), GatewayUnavailable (nothing was sent),
    GatewayDeclined (refused: nothing will happen) or ReversalOutcomeUnknown (sent, answer lost).
    """
    config = gateway.config
    if not config.initiator_name or not config.security_credential:
        raise GatewayConfigError(
            "DARAJA_INITIATOR_NAME and DARAJA_SECURITY_CREDENTIAL are needed to reverse payments"
        )
    payload = {
        "Initiator": config.initiator_name,
        "SecurityCredential": config.security_credential,
        "CommandID": COMMAND_ID,
        "TransactionID": request.receipt,
        "Amount": request.amount_kes,
        "ReceiverParty": config.party_b,
        "RecieverIdentifierType": RECEIVER_IDENTIFIER_TYPE,
        "ResultURL": request.result_url,
        "QueueTimeOutURL": request.timeout_url,
        "Remarks": request.remarks[:TEXT_MAX] or "Refund",
        "Occasion": request.occasion[:TEXT_MAX] or "Refund",
    }
    with httpx.Client(base_url=config.base_url, timeout=http_timeout(config.timeout_s)) as client:
        response = _send_once(client, gateway, payload, retry or RetryPolicy())
        if response.status_code == 401:  # refused at the door: nothing was processed
            response = _send_once(client, gateway, payload, retry or RetryPolicy(), renew=True)
    body = json_object(response)
    if response.status_code == 401:
        raise GatewayUnavailable("Daraja rejected a fresh access token for the reversal")
    if response.status_code == 429:
        raise GatewayUnavailable("Daraja is rate limiting reversal requests")
    if response.status_code >= 400 or result_code_text(body.get("ResponseCode", "0")) != SUCCESS:
        message = body.get("errorMessage") or body.get("ResponseDescription") or response.text
        code = body.get("errorCode") or body.get("ResponseCode")
        raise GatewayDeclined(
            f"Daraja refused the reversal: {message}", code=None if code is None else str(code)
        )
    originator, conversation = body.get("OriginatorConversationID"), body.get("ConversationID")
    if not isinstance(originator, str) or not isinstance(conversation, str):
        raise ReversalOutcomeUnknown(f"Daraja accepted the reversal without its ids: {body}")
    return ReversalAccepted(originator, conversation)


def _send_once(
    client: httpx.Client,
    gateway: DarajaGateway,
    payload: Mapping[str, Any],
    retry: RetryPolicy,
    *,
    renew: bool = False,
) -> httpx.Response:
    """Retried only while the connection could not even be opened."""
    headers = {"Authorization": f"Bearer {gateway.fresh_access_token(renew=renew)}"}
    cause: httpx.TransportError | None = None
    for attempt in range(retry.attempts):
        if attempt:
            retry.pause_before(attempt)
        try:
            response = client.post(REVERSAL_PATH, json=payload, headers=headers)
        except _NEVER_SENT as exc:
            cause = exc
            continue
        except httpx.TransportError as exc:
            raise ReversalOutcomeUnknown(
                f"the reversal request may have reached Daraja ({type(exc).__name__})"
            ) from exc
        if response.status_code >= 500:
            raise ReversalOutcomeUnknown(
                f"the reversal request may have reached Daraja (HTTP {response.status_code})"
            )
        return response
    raise GatewayUnavailable(
        f"Daraja could not be reached ({type(cause).__name__}); no reversal was requested"
    ) from cause


def parse_result(body: bytes, *, timed_out: bool = False) -> ReversalResult:
    """Read a ResultURL (or, `timed_out`, a QueueTimeOutURL) notification.
    Raises CallbackRejected when it cannot be read."""
    try:
        result = json.loads(body)["Result"]
        originator = str(result["OriginatorConversationID"])
        conversation = str(result["ConversationID"])
        parameters = (result.get("ResultParameters") or {}).get("ResultParameter") or []
        if isinstance(parameters, dict):  # a single parameter comes as an object
            parameters = [parameters]
        values = {p["Key"]: p.get("Value") for p in parameters if isinstance(p, dict)}
        code = result_code_text(result.get("ResultCode", "timeout" if timed_out else ""))
        original = values.get("OriginalTransactionID")
        receipt = result.get("TransactionID")
        return ReversalResult(
            originator_conversation_id=originator,
            conversation_id=conversation,
            done=code == SUCCESS and not timed_out,
            result_code=code,
            result_desc=str(result.get("ResultDesc") or ""),
            reversal_receipt=str(receipt) if receipt and not timed_out else None,
            original_receipt=None if original is None else str(original),
            amount_kes=whole_kes(values.get("Amount")),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise CallbackRejected(f"Daraja reversal notification is malformed: {exc!r}") from exc


# What Daraja expects back from a result or timeout URL.
ACKNOWLEDGEMENT: Mapping[str, Any] = {"ResultCode": 0, "ResultDesc": "Accepted"}
