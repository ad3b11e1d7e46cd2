"""Back-in-stock alerts, the rows (`stock_alerts`, migration 025): a customer subscribes to a
sold-out product and size from the chat, and the `stock_alerts` job (stock_alert_job.py) sends
one template once that size has stock again.

Stock is read, not hooked: a size counts as back whenever the product is active, has stock, and
the size (when the product keeps stock per size) has some, so an import, a dashboard edit and a
released reservation that stayed released all count, and one that was taken again does not.
"""

from __future__ import annotations

from typing import Any

from duka.db.pool import Connection

# The same test as the SQL function stock_alerts_due, for one product and size in a tenant.
_AVAILABLE = """
SELECT p.active AND p.stock > 0
       AND (NOT EXISTS (SELECT 1 FROM product_stock s WHERE s.product_id = p.id)
            OR EXISTS (SELECT 1 FROM product_stock s WHERE s.product_id = p.id AND s.stock > 0
                       AND (%(size)s::text IS NULL OR s.size = upper(%(size)s::text))))
       AS available
FROM products p WHERE p.id = %(product_id)s
"""


def normal_size(size: str | None) -> str | None:
    """Sizes are kept as product_stock keeps them (upper case); "" means one-size."""
    return (size.strip().upper() or None) if size else None


def subscribe(
    conn: Connection,
    *,
    business_id: str,
    conversation_id: str,
    customer_phone: str,
    product_id: str,
    size: str | None,
) -> None:
    """Open an alert; asking again while one is open changes nothing (partial unique index)."""
    conn.execute(
        "INSERT INTO stock_alerts (business_id, conversation_id, customer_phone, product_id,"
        " size) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (business_id, customer_phone, product_id, COALESCE(size, ''))"
        " WHERE closed_at IS NULL DO NOTHING",
        (business_id, conversation_id, customer_phone, product_id, normal_size(size)),
    )


def available(conn: Connection, product_id: str, size: str | None) -> bool:
    """Whether the product (in this size) can be bought now."""
    row = conn.execute(_AVAILABLE, {"product_id": product_id, "size": normal_size(size)}).fetchone()
    return bool(row and row["available"])


def lock_open(conn: Connection, alert_id: str) -> dict[str, Any] | None:
    """The alert under its row lock, if it is still open and unsent (a concurrent run that
    sent it first makes this None once it commits)."""
    return conn.execute(
        "SELECT * FROM stock_alerts WHERE id = %s AND sent_at IS NULL AND closed_at IS NULL"
        " FOR UPDATE",
        (alert_id,),
    ).fetchone()


def claim(conn: Connection, alert_id: str) -> bool:
    """Mark the alert sent and closed, only if nobody did: the message is queued only then."""
    row = conn.execute(
        "UPDATE stock_alerts SET sent_at = now(), closed_at = now()"
        " WHERE id = %s AND sent_at IS NULL AND closed_at IS NULL RETURNING id",
        (alert_id,),
    ).fetchone()
    return row is not None


def close_unsent(conn: Connection, alert_id: str) -> None:
    """Close without a message (the customer opted out since subscribing)."""
    conn.execute(
        "UPDATE stock_alerts SET closed_at = now() WHERE id = %s AND closed_at IS NULL",
        (alert_id,),
    )


def was_alerted(conn: Connection, conversation_id: str, product_id: str, size: str | None) -> bool:
    """Whether this chat was sent the alert for this product and size (its buy button)."""
    row = conn.execute(
        "SELECT 1 FROM stock_alerts WHERE conversation_id = %s AND product_id = %s"
        " AND COALESCE(size, '') = COALESCE(%s, '') AND sent_at IS NOT NULL LIMIT 1",
        (conversation_id, product_id, normal_size(size)),
    ).fetchone()
    return row is not None
