"""Sending one attempt's STK push, outside any transaction, and recording how it went."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from duka.db.pool import tenant_transaction
from duka.logs import log
from duka.orders import gateway_choice, reservations, store
from duka.payments import (
    GatewayConfigError,
    GatewayDeclined,
    GatewayUnavailable,
    PaymentGateway,
    PaymentOutcomeUnknown,
    StkPushRequest,
)

logger = logging.getLogger(__name__)

ACCOUNT_REFERENCE_LENGTH = 10
PUSH_DESCRIPTION = "Duka order"


@dataclass(frozen=True)
class OpenedAttempt:
    business_id: str
    order_id: str
    attempt: int
    amount_kes: int
    pay_phone: str


class PushOutcome(StrEnum):
    SENT = "sent"
    OUTCOME_UNKNOWN = "outcome_unknown"  # may have prompted: left to callbacks and reconciler
    NOT_SENT = "not_sent"  # the attempt failed and its stock is back on the shelf


def account_reference(order_id: str) -> str:
    """The short order number shown on the customer's M-Pesa prompt."""
    return order_id.replace("-", "")[:ACCOUNT_REFERENCE_LENGTH].upper()


def send_push(gateway: PaymentGateway, opened: OpenedAttempt) -> PushOutcome:
    ids = {
        "business_id": opened.business_id,
        "order_id": opened.order_id,
        "attempt": opened.attempt,
    }
    request = StkPushRequest(
        order_id=opened.order_id,
        attempt=opened.attempt,
        phone_e164=opened.pay_phone,
        amount_kes=opened.amount_kes,
        account_reference=account_reference(opened.order_id),
        description=PUSH_DESCRIPTION,
        callback_url=gateway_choice.callback_url(gateway.name, opened.business_id),
    )
    try:
        accepted = gateway.initiate_stk_push(request)
    except PaymentOutcomeUnknown as exc:
        log(
            logger,
            logging.WARNING,
            "STK push outcome unknown; left to the reconciler",
            error=str(exc),
            **ids,
        )
        _record(opened, None, None, outcome_known=False)
        return PushOutcome.OUTCOME_UNKNOWN
    except (GatewayUnavailable, GatewayDeclined, GatewayConfigError) as exc:
        level = logging.WARNING if isinstance(exc, GatewayUnavailable) else logging.ERROR
        log(logger, level, "STK push not sent; reservation released", error=str(exc), **ids)
        _abandon(opened, _reason(exc))
        return PushOutcome.NOT_SENT
    _record(opened, accepted.checkout_request_id, accepted.mpesa_reference, outcome_known=True)
    log(
        logger,
        logging.INFO,
        "STK push sent",
        checkout_request_id=accepted.checkout_request_id,
        gateway=gateway.name,
        amount_kes=opened.amount_kes,
        **ids,
    )
    return PushOutcome.SENT


def _reason(exc: Exception) -> str:
    if isinstance(exc, GatewayUnavailable):
        return "gateway_unavailable"
    if isinstance(exc, GatewayDeclined):
        return "gateway_declined"
    return "gateway_misconfigured"


def _record(
    opened: OpenedAttempt,
    checkout_request_id: str | None,
    mpesa_reference: str | None,
    *,
    outcome_known: bool,
) -> None:
    with tenant_transaction(opened.business_id) as conn:
        store.lock_order(conn, opened.order_id)
        store.record_push(
            conn,
            opened.order_id,
            opened.attempt,
            checkout_request_id=checkout_request_id,
            mpesa_reference=mpesa_reference,
            outcome_known=outcome_known,
        )


def _abandon(opened: OpenedAttempt, reason: str) -> None:
    """No prompt was sent: fail the attempt and put its stock back."""
    with tenant_transaction(opened.business_id) as conn:
        order = store.lock_order(conn, opened.order_id)
        attempt = store.current_attempt(conn, opened.order_id)
        if order is None or attempt is None or order["attempt"] != opened.attempt:
            return
        store.answer_attempt(conn, str(attempt["id"]), status="failed", failure_reason=reason)
        if order["status"] == "pending":
            store.end_order(conn, opened.order_id, "failed", reason)
            reservations.release(conn, opened.order_id)
