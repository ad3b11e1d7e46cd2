"""What a broadcast did: how many were sent, delivered, read and failed (Twilio's delivery
receipts of her first card), how many customers replied, and the paid orders it brought.

Replies and orders use attribution's 72 hours: a reply is a customer message within 72 hours
after her cards were queued; an order is a paid one that settlement attributed to this broadcast
(`orders.source = 'broadcast'`, `source_ref` = its id: her newest touch within 72 hours before
payment was this broadcast).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from duka.db.pool import Connection
from duka.orders.attribution import WINDOW


@dataclass(frozen=True)
class Report:
    recipients: int
    waiting: int  # not sent yet: the daily limit, or the next run
    skipped: int  # opted out (or cancelled) before her turn
    sent: int  # Twilio took her first card
    delivered: int  # delivered or read
    read: int
    failed: int
    replies: int
    orders: int
    revenue: Decimal


def report(conn: Connection, broadcast_id: str) -> Report:
    counts = conn.execute(
        "SELECT count(*) AS recipients,"
        " count(*) FILTER (WHERE r.state = 'pending') AS waiting,"
        " count(*) FILTER (WHERE r.state = 'skipped') AS skipped,"
        " count(*) FILTER (WHERE m.delivery_status = 'sent') AS sent,"
        " count(*) FILTER (WHERE s.best IN ('delivered', 'read')) AS delivered,"
        " count(*) FILTER (WHERE s.best = 'read') AS read,"
        " count(*) FILTER (WHERE m.delivery_status = 'failed'"
        "                  OR s.best IN ('failed', 'undelivered')) AS failed,"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM messages c"
        "   WHERE c.conversation_id = r.conversation_id AND c.role = 'customer'"
        "   AND c.created_at > r.queued_at AND c.created_at <= r.queued_at + %s)) AS replies"
        " FROM broadcast_recipients r"
        " LEFT JOIN messages m ON m.id = r.message_id"
        " LEFT JOIN LATERAL (SELECT status AS best FROM message_statuses"
        "   WHERE message_id = r.message_id ORDER BY rank DESC, received_at DESC LIMIT 1) s"
        "   ON true"
        " WHERE r.broadcast_id = %s",
        (WINDOW, broadcast_id),
    ).fetchone()
    assert counts is not None
    orders = conn.execute(
        "SELECT count(*) AS n, COALESCE(sum(amount), 0) AS revenue FROM orders"
        " WHERE status = 'paid' AND source = 'broadcast' AND source_ref = %s",
        (broadcast_id,),
    ).fetchone()
    assert orders is not None
    return Report(
        **{k: int(v) for k, v in counts.items()},
        orders=int(orders["n"]),
        revenue=Decimal(orders["revenue"]),
    )
