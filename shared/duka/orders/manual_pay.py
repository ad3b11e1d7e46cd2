"""An order the customer pays herself, to the shop's Till or Paybill, with no M-Pesa prompt.

She needs an order number to type as the account and an amount before she pays, so the order
is made (or a failed one reopened) the way checkout makes it, stock reserved, but its attempt is
'manual': nothing is pushed and there is nothing to ask a gateway about. Paying by hand takes
longer than answering a prompt, so such an order stays open MANUAL_PAY_HOURS instead of the
prompt's 15 minutes; the reconciler expires it after that (migration 022).

A customer whose prompt failed often pays the Till straight away and pastes the code without
asking first: `reopen_for_code` opens her latest order again for it (a failed one as its next
attempt; an expired one, which the order rules never reopen, as a copy at the same prices).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from duka.db.pool import Connection, tenant_transaction
from duka.orders import reservations, store
from duka.orders.pricing import CartLine, DeliveryDetails, price_order

MANUAL_PAY_HOURS = 24
MANUAL_GATEWAY = "manual"
# A pasted code reopens an order whose prompt failed or that expired at most this long ago;
# older, the code goes to the owner (prices and stock may have moved on).
REOPEN_WITHIN_HOURS = 24


def _expiry() -> datetime:
    return datetime.now(UTC) + timedelta(hours=MANUAL_PAY_HOURS)


def keep_open(conn: Connection, order_id: str) -> None:
    """Give an open order (its prompt may still be out) the time a Till payment takes; an
    order paid on delivery has no expiry and keeps none."""
    conn.execute(
        "UPDATE orders SET expires_at = GREATEST(expires_at, %s), updated_at = now()"
        " WHERE id = %s AND status = 'pending' AND NOT pay_on_delivery",
        (_expiry(), order_id),
    )


def reopen(conn: Connection, order: Mapping[str, Any], key: str) -> bool:
    """Reopen a failed (unflagged) order for a Till payment, its stock reserved again. False
    when it is no longer failed; raises reservations.SoldOut when an item ran out since."""
    order_id, business_id = str(order["id"]), str(order["business_id"])
    phone = str(order["customer_phone"])
    attempt = store.retry_order(
        conn, order_id, gateway=MANUAL_GATEWAY, pay_phone=phone, expires_at=_expiry()
    )
    if attempt is None:
        return False
    _claim(conn, business_id, order_id, attempt, key, phone, int(order["amount"]))
    items = store.order_items(conn, order_id)
    _reserve(conn, business_id, order_id, attempt, items)
    return True


def reopen_for_code(business_id: str, conversation_id: str, key: str) -> str | None:
    """The conversation's latest order, failed or expired within REOPEN_WITHIN_HOURS and not
    flagged, open again for a Till payment with its stock reserved: its id (a copy's, for an
    expired order). None when there is no such order or an item has sold out since. Committed
    on its own connection: the code's check (code_checks.start_check) writes a claim naming
    the order from another connection."""
    cutoff = datetime.now(UTC) - timedelta(hours=REOPEN_WITHIN_HOURS)
    with tenant_transaction(business_id) as conn:
        latest = store.latest_order(conn, conversation_id)
        order = store.lock_order(conn, str(latest["id"])) if latest else None
        if (
            order is None
            or order["status"] not in ("failed", "expired")
            or order["flagged"]
            or order["updated_at"] < cutoff
        ):
            return None
        try:
            with conn.transaction():  # a sold-out item undoes the reopening
                if order["status"] == "failed":
                    return str(order["id"]) if reopen(conn, order, key) else None
                return _copy(conn, order, key)
        except reservations.SoldOut:
            return None


def _copy(conn: Connection, order: Mapping[str, Any], key: str) -> str:
    """An expired order made again, items and prices as she was quoted, for a Till payment."""
    business_id, phone = str(order["business_id"]), str(order["customer_phone"])
    order_id = store.insert_order(
        conn,
        business_id=business_id,
        conversation_id=str(order["conversation_id"]),
        customer_phone=phone,
        items=order["items"],
        amount=int(order["amount"]),
        delivery_info=order["delivery_info"],
        gateway=MANUAL_GATEWAY,
        pay_phone=phone,
        expires_at=_expiry(),
    )
    _claim(conn, business_id, order_id, 1, key, phone, int(order["amount"]))
    _reserve(conn, business_id, order_id, 1, order["items"])
    return order_id


def open_order(
    conn: Connection,
    *,
    business: Mapping[str, Any],
    conversation_id: str,
    customer_phone: str,
    lines: Sequence[CartLine],
    delivery: DeliveryDetails,
    key: str,
    on_delivery: bool = False,
) -> tuple[str, int]:
    """Price the cart from the database and create its order for a Till payment, or, with
    `on_delivery`, for payment when it arrives (no expiry: it waits for the rider): (order id,
    amount). Raises reservations.SoldOut when an item ran out."""
    business_id = str(business["id"])
    priced = price_order(conn, business["settings"], lines, delivery)
    order_id = store.insert_order(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        customer_phone=customer_phone,
        items=priced.items,
        amount=priced.amount_kes,
        delivery_info=priced.delivery_info,
        gateway=MANUAL_GATEWAY,
        pay_phone=customer_phone,
        expires_at=None if on_delivery else _expiry(),
        pay_on_delivery=on_delivery,
    )
    _claim(conn, business_id, order_id, 1, key, customer_phone, priced.amount_kes)
    _reserve(conn, business_id, order_id, 1, priced.items)
    return order_id, priced.amount_kes


def cancel_on_delivery(conn: Connection, order_id: str) -> bool:
    """The owner cancels an unpaid pay-on-delivery order (refused at the door, say): its
    stock goes back on the shelf. False when it is not such an order, open and unpaid."""
    row = conn.execute(
        "UPDATE orders SET status = 'cancelled', failure_reason = 'cancelled_by_owner',"
        " updated_at = now() WHERE id = %s AND status = 'pending' AND pay_on_delivery"
        " AND NOT flagged RETURNING id",
        (order_id,),
    ).fetchone()
    if row is None:
        return False
    conn.execute(
        "UPDATE payment_attempts SET status = 'failed', failure_reason = 'cancelled_by_owner'"
        " WHERE order_id = %s AND status IN ('sending', 'pending', 'unknown')",
        (order_id,),
    )
    reservations.release(conn, order_id)
    return True


def _claim(
    conn: Connection,
    business_id: str,
    order_id: str,
    attempt: int,
    key: str,
    phone: str,
    amount: int,
) -> None:
    """The order's 'manual' attempt: the reconciler expires the order through it."""
    inserted = store.insert_attempt(
        conn,
        business_id=business_id,
        order_id=order_id,
        attempt=attempt,
        idempotency_key=f"manual:{key}",
        gateway=MANUAL_GATEWAY,
        pay_phone=phone,
        amount=amount,
    )
    if inserted:
        conn.execute(
            "UPDATE payment_attempts SET status = 'pending' WHERE order_id = %s AND attempt = %s",
            (order_id, attempt),
        )


def _reserve(
    conn: Connection,
    business_id: str,
    order_id: str,
    attempt: int,
    items: Sequence[Mapping[str, Any]],
) -> None:
    claims = [
        reservations.Claim(item["product_id"], item["name"], item["size"], item["quantity"])
        for item in items
    ]
    reservations.reserve(
        conn, business_id=business_id, order_id=order_id, attempt=attempt, claims=claims
    )
