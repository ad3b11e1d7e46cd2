"""Checkout: price the cart from the database, reserve stock, create the order, send the push.

`start_checkout` uses its own pooled connections and never touches the conversation row, so a
caller holding that row's lock (FOR NO KEY UPDATE) cannot deadlock with it. Each attempt is
claimed by its idempotency key before the push, and the push is sent outside any transaction,
so a retried customer turn never prompts the customer twice. A number other than the customer's
own is capped per customer and per number (`duka.ratelimit.other_payer_allowed`), counted and
recorded under one boutique-wide lock; asking the customer to confirm it is the chat's job
(`duka.orchestrator.payer_confirmation`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from psycopg import errors as pg_errors

from duka.config import get_settings
from duka.db.pool import Connection, tenant_transaction
from duka.logs import log
from duka.orders import gateway_choice, layaway, reservations, store
from duka.orders.delivery import delivery_fee
from duka.orders.pricing import CartLine, DeliveryDetails, price_order, same_order
from duka.orders.push import OpenedAttempt, PushOutcome, send_push
from duka.payments import GatewayConfigError
from duka.phone import InvalidPhoneNumber, normalize_kenyan_phone
from duka.ratelimit import lock_other_payers, other_payer_allowed, stk_push_allowed
from duka.secrets import SecretConfigurationError, SecretStoreUnavailable
from duka.store import businesses

logger = logging.getLogger(__name__)

__all__ = [
    "CartLine",
    "CheckoutResult",
    "CheckoutStatus",
    "DeliveryDetails",
    "LayawayRequest",
    "delivery_fee",
    "is_own_number",
    "latest_order",
    "start_checkout",
]


class CheckoutStatus(StrEnum):
    STK_SENT = "stk_sent"
    SOLD_OUT = "sold_out"
    INVALID_PHONE = "invalid_phone"
    GATEWAY_UNAVAILABLE = "gateway_unavailable"
    OUTCOME_UNKNOWN = "outcome_unknown"
    ALREADY_PENDING = "already_pending"
    EMPTY_CART = "empty_cart"
    TOO_MANY_PUSHES = "too_many_pushes"  # the phone had its hourly share of M-Pesa prompts
    PAYER_LIMIT = "payer_limit"  # another number than the customer's own: over today's caps
    LAYAWAY_UNAVAILABLE = "layaway_unavailable"  # the shop or an item does not offer layaway


@dataclass(frozen=True)
class CheckoutResult:
    status: CheckoutStatus
    order_id: str | None
    amount_kes: int
    sold_out: tuple[str, ...] = ()  # names of the products that ran out
    total_kes: int = 0  # the order's total when the prompt (a layaway deposit) asks for less


_PUSH_STATUS = {
    PushOutcome.SENT: CheckoutStatus.STK_SENT,
    PushOutcome.OUTCOME_UNKNOWN: CheckoutStatus.OUTCOME_UNKNOWN,
    PushOutcome.NOT_SENT: CheckoutStatus.GATEWAY_UNAVAILABLE,
}


class _AlreadyPending(Exception):
    """The conversation already has an order waiting for payment."""


class _KeyTaken(Exception):
    """Another call with the same idempotency key got there first."""


class _TooManyPushes(Exception):
    """The paying phone already had its cap of M-Pesa prompts this hour."""


class _PayerLimit(Exception):
    """Paying from another number than the customer's own is over today's caps."""


class _NoLayaway(Exception):
    """Layaway was asked for, but the shop has it off or an item is left out of it."""


@dataclass(frozen=True)
class LayawayRequest:
    """Pay by lipa pole pole: the first prompt is a deposit, `amount` if the customer named
    one (kept within the shop's minimum and the total), else the minimum."""

    amount: int | None = None


def start_checkout(
    *,
    business_id: str,
    conversation_id: str,
    customer_phone: str,
    pay_phone: str | None,
    lines: Sequence[CartLine],
    delivery: DeliveryDetails,
    idempotency_key: str,
    layaway_request: LayawayRequest | None = None,
) -> CheckoutResult:
    """Create (or retry) the conversation's order and send the M-Pesa prompt for its total, or
    for a layaway deposit (`layaway_request`)."""
    if not lines:
        return CheckoutResult(CheckoutStatus.EMPTY_CART, None, 0)
    if any(line.quantity < 1 for line in lines):
        raise ValueError("every cart line needs a quantity of at least 1")
    try:
        phone = normalize_kenyan_phone(pay_phone or customer_phone)
    except InvalidPhoneNumber:
        return CheckoutResult(CheckoutStatus.INVALID_PHONE, None, 0)
    ids = {"business_id": business_id, "conversation_id": conversation_id}

    with tenant_transaction(business_id) as conn:
        replayed = store.attempt_by_key(conn, idempotency_key)
        business = businesses.get_business(conn, business_id)
    if replayed is not None:
        return _replayed(replayed)
    assert business is not None
    try:
        gateway = gateway_choice.gateway_for_business(business_id, business["settings"])
    except (GatewayConfigError, SecretConfigurationError) as exc:
        log(logger, logging.ERROR, "payment gateway misconfigured", error=str(exc), **ids)
        return CheckoutResult(CheckoutStatus.GATEWAY_UNAVAILABLE, None, 0)
    except SecretStoreUnavailable as exc:
        log(logger, logging.WARNING, "payment credentials unreadable", error=str(exc), **ids)
        return CheckoutResult(CheckoutStatus.GATEWAY_UNAVAILABLE, None, 0)

    try:
        with tenant_transaction(business_id) as conn:
            opened, total_kes = _open_attempt(
                conn,
                business=business,
                conversation_id=conversation_id,
                customer_phone=customer_phone,
                pay_phone=phone,
                lines=lines,
                delivery=delivery,
                idempotency_key=idempotency_key,
                gateway=gateway.name,
                layaway_request=layaway_request,
            )
    except reservations.SoldOut as exc:
        return CheckoutResult(CheckoutStatus.SOLD_OUT, None, 0, exc.names)
    except _TooManyPushes:
        log(logger, logging.WARNING, "M-Pesa prompt cap reached for the paying phone", **ids)
        return CheckoutResult(CheckoutStatus.TOO_MANY_PUSHES, None, 0)
    except _PayerLimit:
        log(logger, logging.WARNING, "cap reached for paying from another number", **ids)
        return CheckoutResult(CheckoutStatus.PAYER_LIMIT, None, 0)
    except _NoLayaway:
        return CheckoutResult(CheckoutStatus.LAYAWAY_UNAVAILABLE, None, 0)
    except (_AlreadyPending, _KeyTaken):
        # Lost a race: to the same turn (replay its result) or to another open order.
        with tenant_transaction(business_id) as conn:
            replayed = store.attempt_by_key(conn, idempotency_key)
            pending = store.pending_order(conn, conversation_id)
        if replayed is not None:
            return _replayed(replayed)
        if pending is None:
            raise
        return CheckoutResult(
            CheckoutStatus.ALREADY_PENDING, str(pending["id"]), int(pending["amount"])
        )
    outcome = send_push(gateway, opened)
    return CheckoutResult(
        _PUSH_STATUS[outcome], opened.order_id, opened.amount_kes, total_kes=total_kes
    )


def is_own_number(pay_phone: str, customer_phone: str) -> bool:
    """Whether `pay_phone` is the customer's own WhatsApp number (which needs no confirmation)."""
    try:
        return normalize_kenyan_phone(pay_phone) == normalize_kenyan_phone(customer_phone)
    except InvalidPhoneNumber:  # a WhatsApp number from abroad is never an M-Pesa number
        return False


def _open_attempt(
    conn: Connection,
    *,
    business: Mapping[str, Any],
    conversation_id: str,
    customer_phone: str,
    pay_phone: str,
    lines: Sequence[CartLine],
    delivery: DeliveryDetails,
    idempotency_key: str,
    gateway: str,
    layaway_request: LayawayRequest | None = None,
) -> tuple[OpenedAttempt, int]:
    """Create the order (or reopen the same failed one), claim the key and reserve stock;
    returns the attempt and the order's total."""
    # Waits here are for other checkouts' product rows; anything longer is a lock held by our
    # own caller, better reported than waited on forever.
    conn.execute("SET LOCAL lock_timeout = '10s'")
    business_id = str(business["id"])
    if store.pending_order(conn, conversation_id) is not None:
        raise _AlreadyPending()
    if not is_own_number(pay_phone, customer_phone):
        # Counted and recorded under one boutique-wide lock, so the caps hold across instances.
        lock_other_payers(conn, business_id)
        if not other_payer_allowed(conn, business_id, customer_phone, pay_phone):
            raise _PayerLimit()
    if not stk_push_allowed(conn, pay_phone):
        raise _TooManyPushes()
    priced = price_order(conn, business["settings"], lines, delivery)
    terms = layaway.terms_for(business["settings"]) if layaway_request else None
    if layaway_request and (
        terms is None
        or layaway.excluded_products(conn, [str(item["product_id"]) for item in priced.items])
    ):
        raise _NoLayaway()
    # A layaway order's first prompt is its deposit; the order keeps its full total.
    prompt_kes = (
        terms.deposit(priced.amount_kes, layaway_request.amount)
        if terms and layaway_request
        else priced.amount_kes
    )
    expires_at = datetime.now(UTC) + timedelta(seconds=get_settings().order_expiry_seconds)
    previous = store.latest_order(conn, conversation_id)
    attempt = None
    if previous is not None and same_order(previous, priced):
        order_id = str(previous["id"])
        attempt = store.retry_order(
            conn, order_id, gateway=gateway, pay_phone=pay_phone, expires_at=expires_at
        )
    if attempt is None:
        try:
            order_id = store.insert_order(
                conn,
                business_id=business_id,
                conversation_id=conversation_id,
                customer_phone=customer_phone,
                items=priced.items,
                amount=priced.amount_kes,
                delivery_info=priced.delivery_info,
                gateway=gateway,
                pay_phone=pay_phone,
                expires_at=expires_at,
            )
        except pg_errors.UniqueViolation:  # a pending order appeared since we looked
            raise _AlreadyPending() from None
        attempt = 1
    if not store.insert_attempt(
        conn,
        business_id=business_id,
        order_id=order_id,
        attempt=attempt,
        idempotency_key=idempotency_key,
        gateway=gateway,
        pay_phone=pay_phone,
        amount=prompt_kes,
    ):
        raise _KeyTaken(idempotency_key)
    layaway.set_plan(conn, order_id, terms, prompt_kes, datetime.now(UTC))
    claims = [
        reservations.Claim(item["product_id"], item["name"], item["size"], item["quantity"])
        for item in priced.items
    ]
    reservations.reserve(
        conn, business_id=business_id, order_id=order_id, attempt=attempt, claims=claims
    )
    return OpenedAttempt(business_id, order_id, attempt, prompt_kes, pay_phone), priced.amount_kes


def _replayed(attempt: Mapping[str, Any]) -> CheckoutResult:
    """What the first call with this idempotency key achieved."""
    order_id, amount = str(attempt["order_id"]), int(attempt["amount"])
    status = attempt["status"]
    if status in ("sending", "unknown"):
        return CheckoutResult(CheckoutStatus.OUTCOME_UNKNOWN, order_id, amount)
    if status == "failed" and str(attempt["failure_reason"]).startswith("gateway_"):
        return CheckoutResult(CheckoutStatus.GATEWAY_UNAVAILABLE, order_id, amount)
    return CheckoutResult(CheckoutStatus.STK_SENT, order_id, amount)


def latest_order(conn: Connection, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's newest order with its items, for "did my payment go through?"."""
    order = store.latest_order(conn, conversation_id)
    if order is None:
        return None
    return {**order, "id": str(order["id"]), "items": store.order_items(conn, str(order["id"]))}
