"""SQL for orders and their payment attempts, over a tenant-scoped connection.

Lock order everywhere: the order row, then its attempts, then reservations and products.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb

from duka.db.pool import Connection


def insert_order(
    conn: Connection,
    *,
    business_id: str,
    conversation_id: str,
    customer_phone: str,
    items: list[dict[str, Any]],
    amount: int,
    delivery_info: dict[str, Any],
    gateway: str,
    pay_phone: str,
    expires_at: datetime | None,
    pay_on_delivery: bool = False,
) -> str:
    """A new pending order and its items; `expires_at` None only for pay on delivery."""
    row = conn.execute(
        "INSERT INTO orders (business_id, conversation_id, customer_phone, items, amount,"
        " delivery_info, payment_gateway, pay_phone, expires_at, pay_on_delivery)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            business_id,
            conversation_id,
            customer_phone,
            Jsonb(items),
            amount,
            Jsonb(delivery_info),
            gateway,
            pay_phone,
            expires_at,
            pay_on_delivery,
        ),
    ).fetchone()
    assert row is not None
    order_id = str(row["id"])
    for item in items:
        conn.execute(
            "INSERT INTO order_items (business_id, order_id, product_id, sku, name, size, color,"
            " quantity, unit_price, line_total) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                business_id,
                order_id,
                item["product_id"],
                item["sku"],
                item["name"],
                item["size"],
                item["color"],
                item["quantity"],
                item["unit_price"],
                item["line_total"],
            ),
        )
    return order_id


def retry_order(
    conn: Connection, order_id: str, *, gateway: str, pay_phone: str, expires_at: datetime
) -> int | None:
    """Reopen a failed order as its next attempt; None if it is no longer failed, or flagged
    (money arrived after it failed: it stays with the owner, a new order is made instead)."""
    row = conn.execute(
        "UPDATE orders SET status = 'pending', attempt = attempt + 1, failure_reason = NULL,"
        " payment_gateway = %s, pay_phone = %s, expires_at = %s, checkout_request_id = NULL,"
        " mpesa_reference = NULL, updated_at = now() WHERE id = %s AND status = 'failed'"
        " AND NOT flagged RETURNING attempt",
        (gateway, pay_phone, expires_at, order_id),
    ).fetchone()
    return None if row is None else int(row["attempt"])


def insert_attempt(
    conn: Connection,
    *,
    business_id: str,
    order_id: str,
    attempt: int,
    idempotency_key: str,
    gateway: str,
    pay_phone: str,
    amount: int,
) -> bool:
    """Claim the idempotency key for this attempt; False if another call already holds it."""
    row = conn.execute(
        "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key, gateway,"
        " pay_phone, amount) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (business_id, idempotency_key) DO NOTHING RETURNING id",
        (business_id, order_id, attempt, idempotency_key, gateway, pay_phone, amount),
    ).fetchone()
    return row is not None


def attempt_by_key(conn: Connection, idempotency_key: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT * FROM payment_attempts WHERE idempotency_key = %s", (idempotency_key,)
    ).fetchone()


def pending_order(conn: Connection, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's open order. A flagged one waits for the owner, not the customer, so
    it does not count (its stock stays held until the owner accepts or cancels it)."""
    return conn.execute(
        "SELECT * FROM orders WHERE conversation_id = %s AND status = 'pending' AND NOT flagged",
        (conversation_id,),
    ).fetchone()


def latest_order(conn: Connection, conversation_id: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT * FROM orders WHERE conversation_id = %s ORDER BY created_at DESC, id LIMIT 1",
        (conversation_id,),
    ).fetchone()


def order_items(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT product_id, sku, name, size, color, quantity, unit_price, line_total"
        " FROM order_items WHERE order_id = %s ORDER BY name, size",
        (order_id,),
    ).fetchall()


def lock_order(conn: Connection, order_id: str) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM orders WHERE id = %s FOR UPDATE", (order_id,)).fetchone()


def current_attempt(conn: Connection, order_id: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT a.* FROM payment_attempts a JOIN orders o ON o.id = a.order_id"
        " AND o.attempt = a.attempt WHERE a.order_id = %s",
        (order_id,),
    ).fetchone()


def find_attempt(
    conn: Connection,
    *,
    gateway: str,
    checkout_request_id: str | None,
    mpesa_reference: str | None,
    order_reference: str | None,
) -> dict[str, Any] | None:
    """The attempt a gateway result is about, by its ids, else the order's current attempt
    when nothing contradicts it (a callback may beat the recording of the push's ids)."""
    if checkout_request_id:
        row = conn.execute(
            "SELECT * FROM payment_attempts WHERE gateway = %s AND checkout_request_id = %s",
            (gateway, checkout_request_id),
        ).fetchone()
        if row is not None:
            return row
    if mpesa_reference:
        row = conn.execute(
            "SELECT * FROM payment_attempts WHERE gateway = %s AND mpesa_reference = %s"
            " ORDER BY created_at DESC LIMIT 1",
            (gateway, mpesa_reference),
        ).fetchone()
        if row is not None:
            return row
    if not order_reference:
        return None
    return conn.execute(
        "SELECT a.* FROM payment_attempts a JOIN orders o ON o.id = a.order_id"
        " AND o.attempt = a.attempt WHERE o.id::text = %s AND a.gateway = %s"
        " AND (a.checkout_request_id IS NULL OR %s::text IS NULL)"
        " AND (a.mpesa_reference IS NULL OR %s::text IS NULL)",
        (order_reference, gateway, checkout_request_id, mpesa_reference),
    ).fetchone()


def lock_attempt(conn: Connection, attempt_id: str) -> dict[str, Any]:
    row = conn.execute(
        "SELECT * FROM payment_attempts WHERE id = %s FOR UPDATE", (attempt_id,)
    ).fetchone()
    assert row is not None
    return row


def record_push(
    conn: Connection,
    order_id: str,
    attempt: int,
    *,
    checkout_request_id: str | None,
    mpesa_reference: str | None,
    outcome_known: bool,
) -> None:
    """Store what the gateway answered to the push; a callback may have been quicker."""
    conn.execute(
        "UPDATE payment_attempts SET"
        " checkout_request_id = COALESCE(checkout_request_id, %s),"
        " mpesa_reference = COALESCE(mpesa_reference, %s),"
        " status = CASE WHEN status = 'sending' THEN %s ELSE status END"
        " WHERE order_id = %s AND attempt = %s",
        (
            checkout_request_id,
            mpesa_reference,
            "pending" if outcome_known else "unknown",
            order_id,
            attempt,
        ),
    )
    conn.execute(
        "UPDATE orders SET checkout_request_id = COALESCE(checkout_request_id, %s),"
        " mpesa_reference = COALESCE(mpesa_reference, %s), updated_at = now()"
        " WHERE id = %s AND attempt = %s",
        (checkout_request_id, mpesa_reference, order_id, attempt),
    )


def answer_attempt(
    conn: Connection,
    attempt_id: str,
    *,
    status: str,
    checkout_request_id: str | None = None,
    mpesa_reference: str | None = None,
    transaction_id: str | None = None,
    amount_received: int | None = None,
    failure_reason: str | None = None,
    result_code: str | None = None,
    result_desc: str | None = None,
) -> None:
    conn.execute(
        "UPDATE payment_attempts SET status = %s,"
        " checkout_request_id = COALESCE(checkout_request_id, %s),"
        " mpesa_reference = COALESCE(mpesa_reference, %s),"
        " transaction_id = COALESCE(%s, transaction_id),"
        " amount_received = COALESCE(%s, amount_received), failure_reason = %s,"
        " result_code = %s, result_desc = %s, answered_at = now() WHERE id = %s",
        (
            status,
            checkout_request_id,
            mpesa_reference,
            transaction_id,
            amount_received,
            failure_reason,
            result_code,
            result_desc,
            attempt_id,
        ),
    )


def mark_paid(
    conn: Connection, order_id: str, *, transaction_id: str | None, mpesa_reference: str | None
) -> None:
    conn.execute(
        "UPDATE orders SET status = 'paid', paid_at = now(), transaction_id = %s,"
        " mpesa_reference = COALESCE(mpesa_reference, %s), updated_at = now() WHERE id = %s",
        (transaction_id, mpesa_reference, order_id),
    )


def end_order(conn: Connection, order_id: str, status: str, failure_reason: str | None) -> None:
    """Move a pending order to failed, cancelled or expired."""
    conn.execute(
        "UPDATE orders SET status = %s, failure_reason = %s, updated_at = now() WHERE id = %s",
        (status, failure_reason, order_id),
    )


def flag_order(conn: Connection, order_id: str, reason: str) -> None:
    conn.execute(
        "UPDATE orders SET flagged = true, flag_reason = %s, updated_at = now() WHERE id = %s",
        (reason, order_id),
    )


def clear_cart(conn: Connection, conversation_id: str) -> None:
    conn.execute(
        "UPDATE conversations SET metadata = jsonb_set(metadata, '{cart}',"
        " '{\"items\": []}'::jsonb) WHERE id = %s",
        (conversation_id,),
    )


def set_notified(conn: Connection, order_id: str, state: str) -> None:
    conn.execute("UPDATE orders SET notified_state = %s WHERE id = %s", (state, order_id))


def tenant_by_reference(conn: Connection, reference: str) -> str | None:
    row = conn.execute("SELECT order_tenant_by_reference(%s) AS id", (reference,)).fetchone()
    return str(row["id"]) if row and row["id"] else None


def orders_due(conn: Connection, query_after_s: int, max_rows: int) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM payment_orders_due(make_interval(secs => %s), %s)",
        (query_after_s, max_rows),
    ).fetchall()


def flagged_payment(conn: Connection, order_id: str) -> dict[str, Any] | None:
    """The order's most recently flagged payment attempt (amount, receipt)."""
    return conn.execute(
        "SELECT * FROM payment_attempts WHERE order_id = %s AND status = 'flagged'"
        " ORDER BY answered_at DESC LIMIT 1",
        (order_id,),
    ).fetchone()


def flagged_amount(conn: Connection, order_id: str) -> Decimal | None:
    """What M-Pesa reported for the order's most recently flagged payment."""
    row = flagged_payment(conn, order_id)
    return None if row is None else row["amount_received"]


def accept_flagged(
    conn: Connection,
    order_id: str,
    *,
    amount_received: Decimal | None,
    transaction_id: str | None,
    mpesa_reference: str | None,
) -> None:
    """The owner accepts a flagged payment: the pending order is paid with what was received."""
    conn.execute(
        "UPDATE orders SET status = 'paid', paid_at = now(), flag_resolution = 'accepted',"
        " flag_resolved_at = now(), amount_received = %s,"
        " transaction_id = COALESCE(%s, transaction_id),"
        " mpesa_reference = COALESCE(mpesa_reference, %s), updated_at = now() WHERE id = %s",
        (amount_received, transaction_id, mpesa_reference, order_id),
    )


def cancel_flagged(conn: Connection, order_id: str, *, amount_received: Decimal | None) -> None:
    """The owner cancels a flagged pending order (the money is settled outside Duka)."""
    conn.execute(
        "UPDATE orders SET status = 'cancelled', failure_reason = 'cancelled_by_owner',"
        " flag_resolution = 'cancelled', flag_resolved_at = now(), amount_received = %s,"
        " updated_at = now() WHERE id = %s",
        (amount_received, order_id),
    )


def reconcile_view(conn: Connection, order_id: str, query_after_s: int) -> dict[str, Any] | None:
    """An open order's current attempt, and whether it is due a status query or expiry."""
    return conn.execute(
        "SELECT o.id, o.status, o.attempt, o.flagged, a.gateway, a.checkout_request_id,"
        " a.status AS attempt_status,"
        " a.created_at < now() - make_interval(secs => %s) AS query_due,"
        " o.expires_at <= now() AS expiry_due"
        " FROM orders o JOIN payment_attempts a ON a.order_id = o.id AND a.attempt = o.attempt"
        " WHERE o.id = %s",
        (query_after_s, order_id),
    ).fetchone()
