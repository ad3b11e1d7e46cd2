"""Apply a gateway's payment result to its order exactly once, in one transaction.

Callbacks and the reconciler's status queries both end here, so a result is applied the same
way whichever arrives first, and any repeat changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from duka.db.pool import Connection, tenant_transaction, transaction
from duka.logs import log
from duka.orders import gateway_choice, ledger, reservations, store
from duka.orders.payment_events import PaymentEvent, QueuedEvent, enqueue, publish
from duka.orders.settlement import PAYABLE, settle
from duka.payments import (
    FailureReason,
    ForgedCallback,
    GatewayConfigError,
    GatewayDeclined,
    GatewayUnavailable,
    PaymentResult,
    PaymentStatus,
)
from duka.secrets import SecretConfigurationError
from duka.store import businesses

logger = logging.getLogger(__name__)

OPEN_ATTEMPT = ("sending", "pending", "unknown")


class Applied(StrEnum):
    PAID = "paid"
    INSTALMENT = "instalment"  # a layaway payment that leaves a balance
    FAILED = "failed"
    FLAGGED = "flagged"
    UNCHANGED = "unchanged"
    UNKNOWN_REFERENCE = "unknown_reference"
    AWAITING_CONFIRMATION = "awaiting_confirmation"


def handle_callback(
    gateway: str,
    headers: Mapping[str, str],
    body: bytes,
    path_token: str | None,
    path_business_id: str | None = None,
) -> Applied:
    """Authenticate a callback and apply it once the gateway agrees. Raises CallbackRejected for
    a forged, unreadable or other boutique's one, GatewayConfigError when this deployment lacks
    the gateway's settings.

    `path_business_id` is the boutique a Daraja callback path names; its token is that
    boutique's, so it may settle only that boutique's payments."""
    verifier = gateway_choice.callback_gateway(gateway, path_business_id)
    result = verifier.parse_callback(headers=headers, body=body, path_token=path_token)
    business_id = _tenant_for(result)
    if business_id is None:
        log(
            logger,
            logging.WARNING,
            "payment callback for an unknown reference; acknowledged",
            **_ids(result),
        )
        return Applied.UNKNOWN_REFERENCE
    if path_business_id is not None and business_id != path_business_id:
        log(
            logger,
            logging.WARNING,
            "payment callback for another boutique's payment refused",
            path_business_id=path_business_id,
            business_id=business_id,
            **_ids(result),
        )
        raise ForgedCallback("the callback's payment belongs to another boutique")
    if result.status is PaymentStatus.PENDING:
        return Applied.UNCHANGED
    if result.status is not PaymentStatus.PAID or verifier.callback_requires_confirmation():
        # A failure releases stock, an unsigned "paid" sells it: believe neither unconfirmed.
        confirmed = _confirm(business_id, result)
        if confirmed is None:
            return Applied.AWAITING_CONFIRMATION
        result = confirmed
    return apply_result(business_id, result)


def apply_result(business_id: str, result: PaymentResult) -> Applied:
    """Record a final payment result against its order; repeats change nothing."""
    if result.status is PaymentStatus.PENDING:
        return Applied.UNCHANGED
    with tenant_transaction(business_id) as conn:
        applied, queued = _apply(conn, business_id, result)
    publish(queued)
    log(
        logger,
        logging.INFO,
        "payment result applied",
        applied=applied.value,
        business_id=business_id,
        status=result.status.value,
        **_ids(result),
    )
    return applied


def _apply(
    conn: Connection, business_id: str, result: PaymentResult
) -> tuple[Applied, QueuedEvent | None]:
    found = store.find_attempt(
        conn,
        gateway=result.gateway,
        checkout_request_id=result.checkout_request_id,
        mpesa_reference=result.mpesa_reference,
        order_reference=result.order_reference,
    )
    if found is None:
        return Applied.UNKNOWN_REFERENCE, None
    order = store.lock_order(conn, str(found["order_id"]))
    assert order is not None
    attempt = store.lock_attempt(conn, str(found["id"]))
    # A layaway plan ('layaway') takes one prompt per instalment (duka.orders.layaway).
    is_open = order["status"] in PAYABLE and order["attempt"] == attempt["attempt"]
    if result.status is PaymentStatus.PAID:
        applied, event = _apply_paid(conn, order, attempt, result, is_open)
    else:
        applied, event = _apply_failure(conn, order, attempt, result, is_open)
    if event is None:
        return applied, None
    queued = enqueue(
        conn,
        business_id=business_id,
        order_id=str(order["id"]),
        attempt=int(attempt["attempt"]),
        event=event,
    )
    return applied, queued


def _apply_paid(
    conn: Connection,
    order: dict[str, Any],
    attempt: dict[str, Any],
    result: PaymentResult,
    is_open: bool,
) -> tuple[Applied, PaymentEvent | None]:
    if attempt["status"] in ("paid", "flagged"):
        return Applied.UNCHANGED, None
    order_id = str(order["id"])
    expected = int(attempt["amount"])
    flag_reason: str | None = None
    if result.amount_kes is not None and result.amount_kes != expected:
        flag_reason = f"M-Pesa reported KES {result.amount_kes:,} for an order of KES {expected:,}"
    elif not is_open:
        flag_reason = (
            f"payment {result.transaction_id or result.checkout_request_id} arrived after "
            f"attempt {attempt['attempt']} of this {order['status']} order had closed"
        )
    # Every payment received goes into the ledger, a flagged one too: the owner sees the money.
    flag_reason = _add_to_ledger(conn, attempt, result) or flag_reason
    instalment = False
    if flag_reason is None:
        settled = settle(
            conn,
            order,
            transaction_id=result.transaction_id,
            mpesa_reference=result.mpesa_reference,
        )
        instalment = settled.layaway  # a plan's part payment is expected, never a flag
        if not settled.paid and not instalment:
            flag_reason = f"payments cover KES {settled.received:,.0f} of KES {settled.total:,.0f}"
    _record(conn, attempt, result, "flagged" if flag_reason else "paid")
    if flag_reason:
        store.flag_order(conn, order_id, flag_reason)
        log(
            logger,
            logging.WARNING,
            "payment flagged for the owner",
            order_id=order_id,
            business_id=str(order["business_id"]),
            reason=flag_reason,
        )
        return Applied.FLAGGED, PaymentEvent.FLAGGED
    if instalment:
        return Applied.INSTALMENT, PaymentEvent.LAYAWAY_PAYMENT
    return Applied.PAID, PaymentEvent.PAID


def _add_to_ledger(conn: Connection, attempt: dict[str, Any], result: PaymentResult) -> str | None:
    """Add the payment to the ledger; why it must be flagged (its receipt was already
    counted), or None."""
    receipt = result.transaction_id or result.mpesa_reference or result.checkout_request_id
    receipt = receipt or f"attempt:{attempt['id']}"
    amount = attempt["amount"] if result.amount_kes is None else Decimal(result.amount_kes)
    if not ledger.record_stk_payment(
        conn, attempt=attempt, gateway=result.gateway, receipt=receipt, amount=amount
    ):
        return f"M-Pesa receipt {receipt} was already counted for a payment"
    return None


def _apply_failure(
    conn: Connection,
    order: dict[str, Any],
    attempt: dict[str, Any],
    result: PaymentResult,
    is_open: bool,
) -> tuple[Applied, PaymentEvent | None]:
    if attempt["status"] not in OPEN_ATTEMPT:
        return Applied.UNCHANGED, None
    reason = result.failure_reason or FailureReason.UNKNOWN
    _record(conn, attempt, result, "failed", failure_reason=reason.value)
    if not is_open:
        return Applied.UNCHANGED, None
    if order["status"] == "layaway":  # a declined instalment: the plan and its stock stay
        return Applied.FAILED, None
    order_id = str(order["id"])
    store.end_order(conn, order_id, "failed", reason.value)
    reservations.release(conn, order_id)
    return Applied.FAILED, PaymentEvent.FAILED


def _record(
    conn: Connection,
    attempt: dict[str, Any],
    result: PaymentResult,
    status: str,
    failure_reason: str | None = None,
) -> None:
    store.answer_attempt(
        conn,
        str(attempt["id"]),
        status=status,
        checkout_request_id=result.checkout_request_id,
        mpesa_reference=result.mpesa_reference,
        transaction_id=result.transaction_id,
        amount_received=result.amount_kes if result.status is PaymentStatus.PAID else None,
        failure_reason=failure_reason,
        result_code=result.result_code,
        result_desc=result.result_desc,
    )


def _tenant_for(result: PaymentResult) -> str | None:
    references = (result.checkout_request_id, result.mpesa_reference, result.order_reference)
    with transaction() as conn:
        for reference in references:
            if reference:
                business_id = store.tenant_by_reference(conn, reference)
                if business_id is not None:
                    return business_id
    return None


def _confirm(business_id: str, result: PaymentResult) -> PaymentResult | None:
    """Ask the gateway how the callback's attempt ended. None: not known yet (the reconciler
    asks again); else the result to apply, the callback's own when the gateway agrees."""
    with tenant_transaction(business_id) as conn:
        business = businesses.get_business(conn, business_id)
        attempt = store.find_attempt(
            conn,
            gateway=result.gateway,
            checkout_request_id=result.checkout_request_id,
            mpesa_reference=result.mpesa_reference,
            order_reference=result.order_reference,
        )
    assert business is not None
    checkout_request_id = attempt["checkout_request_id"] if attempt else None
    if not checkout_request_id:
        log(
            logger,
            logging.WARNING,
            "payment callback not confirmed: no checkout request to query yet",
            business_id=business_id,
            status=result.status.value,
            **_ids(result),
        )
        return None
    try:
        gateway = gateway_choice.gateway_for_business(
            business_id, business["settings"], result.gateway
        )
        answer = gateway.query_status(str(checkout_request_id))
    except (
        GatewayUnavailable,
        GatewayDeclined,
        GatewayConfigError,
        SecretConfigurationError,
    ) as exc:
        log(
            logger,
            logging.WARNING,
            "payment callback not confirmed yet; the reconciler will ask",
            business_id=business_id,
            status=result.status.value,
            error=str(exc),
            **_ids(result),
        )
        return None
    if answer.status is PaymentStatus.PENDING:
        log(
            logger,
            logging.WARNING,
            "payment callback not confirmed: the gateway says the payment is still pending",
            business_id=business_id,
            status=result.status.value,
            **_ids(result),
        )
        return None
    if (answer.status is PaymentStatus.PAID) == (result.status is PaymentStatus.PAID):
        return result  # the callback carries the amount, receipt and reason the query may not
    log(
        logger,
        logging.WARNING,
        "payment callback contradicted by the status query",
        business_id=business_id,
        status=result.status.value,
        query_status=answer.status.value,
        **_ids(result),
    )
    return answer


def _ids(result: PaymentResult) -> dict[str, Any]:
    return {
        "gateway": result.gateway,
        "checkout_request_id": result.checkout_request_id,
        "mpesa_reference": result.mpesa_reference,
        "order_reference": result.order_reference,
    }
