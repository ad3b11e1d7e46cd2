"""What brought a paid order: organic chat, a follow-up, a back-in-stock alert, a broadcast, or
the owner taking the chat over.

Whatever reaches a customer on the shop's initiative records a touch in the transaction that
queues it (or, for a takeover, that hands the chat to the owner). When an order is paid, its
source is the kind of her newest touch in the `WINDOW` before payment (last touch wins), else
organic. The same 72 hours bound a broadcast's report, so the two figures agree.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, get_args

from duka.db.pool import Connection

TouchKind = Literal["follow_up", "back_in_stock", "broadcast", "owner_takeover"]
Source = Literal["organic", "follow_up", "back_in_stock", "broadcast", "owner_takeover"]
SOURCES: tuple[Source, ...] = get_args(Source)
WINDOW = timedelta(hours=72)


def record_touch(
    conn: Connection,
    *,
    business_id: str,
    customer_phone: str,
    kind: TouchKind,
    ref: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO sales_touches (business_id, customer_phone, kind, ref)"
        " VALUES (%s, %s, %s, %s)",
        (business_id, customer_phone, kind, ref),
    )


def attribute(conn: Connection, order_id: str) -> Source:
    """Give the (just paid) order its source and return it; run in the paying transaction."""
    row = conn.execute(
        "UPDATE orders o SET (source, source_ref) = (SELECT"
        "   COALESCE((array_agg(s.kind ORDER BY s.created_at DESC, s.id DESC))[1], 'organic'),"
        "   (array_agg(s.ref ORDER BY s.created_at DESC, s.id DESC))[1]"
        "   FROM sales_touches s"
        "   WHERE s.business_id = o.business_id AND s.customer_phone = o.customer_phone"
        "     AND s.created_at BETWEEN COALESCE(o.paid_at, now()) - %s"
        "     AND COALESCE(o.paid_at, now()))"
        " WHERE o.id = %s RETURNING o.source",
        (WINDOW, order_id),
    ).fetchone()
    assert row is not None, order_id
    source: Source = row["source"]
    return source
