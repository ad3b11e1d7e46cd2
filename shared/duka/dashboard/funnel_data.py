"""The sales funnel of one boutique over a date range, from what the chats and orders recorded.

A chat counts once, at the furthest step it reached in the range: a customer who paid counts
as having been shown products, built a cart, checked out and had a prompt, even when she
skipped a step (she typed a code, or tapped "same as last time"). So each step is a subset of
the one before and the conversion between them is a true share. The steps:

  chats      she wrote to the shop
  shown      a reply showed her products (the turn record's `shown`)
  cart       a reply left items in her cart (`cart_lines`), or she opened an order
  checkout   an order was opened
  prompt     an M-Pesa prompt was sent for it
  paid       an order was paid

"Human assisted" chats had the owner write in them or take them over in the range; the others
were the agent's alone. Paid orders split by what brought them (`orders.source`). Every query
runs in the owner's transaction, so RLS keeps it to her boutique.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from duka.db.pool import Connection
from duka.orders.attribution import SOURCES, Source

STEPS = ("chats", "shown", "cart", "checkout", "prompt", "paid")
LABELS = {
    "chats": "Chats started",
    "shown": "Products shown",
    "cart": "Carts",
    "checkout": "Checkouts",
    "prompt": "M-Pesa prompts sent",
    "paid": "Paid",
}
SEGMENTS = ("all", "agent", "assisted")

# How many chats active in the range reached each furthest step (1..6), with the owner's help or
# without. %(b)s: the business, %(start)s / %(end)s: the half-open range. Every CTE is an
# index-only range scan (migration 030).
_FURTHEST = """
WITH wrote AS (
    SELECT DISTINCT conversation_id FROM messages
    WHERE business_id = %(b)s AND role = 'customer'
      AND created_at >= %(start)s AND created_at < %(end)s),
shown AS (
    SELECT DISTINCT conversation_id FROM messages
    WHERE business_id = %(b)s AND role = 'agent'
      AND jsonb_array_length(COALESCE(metadata -> 'shown', '[]')) > 0
      AND created_at >= %(start)s AND created_at < %(end)s),
carted AS (
    SELECT DISTINCT conversation_id FROM messages
    WHERE business_id = %(b)s AND role = 'agent'
      AND COALESCE((metadata ->> 'cart_lines')::int, 0) > 0
      AND created_at >= %(start)s AND created_at < %(end)s),
opened AS (
    SELECT DISTINCT conversation_id FROM orders
    WHERE business_id = %(b)s AND created_at >= %(start)s AND created_at < %(end)s
      AND conversation_id IS NOT NULL),
prompted AS (
    SELECT DISTINCT o.conversation_id FROM payment_attempts a JOIN orders o ON o.id = a.order_id
    WHERE a.business_id = %(b)s AND a.created_at >= %(start)s AND a.created_at < %(end)s
      AND a.checkout_request_id IS NOT NULL AND o.conversation_id IS NOT NULL),
paid AS (
    SELECT DISTINCT conversation_id FROM orders
    WHERE business_id = %(b)s AND status = 'paid'
      AND paid_at >= %(start)s AND paid_at < %(end)s AND conversation_id IS NOT NULL),
helped AS (
    SELECT conversation_id FROM messages
    WHERE business_id = %(b)s AND role = 'owner'
      AND created_at >= %(start)s AND created_at < %(end)s
    UNION
    SELECT c.id FROM sales_touches t
    JOIN conversations c ON c.business_id = t.business_id AND c.customer_phone = t.customer_phone
    WHERE t.business_id = %(b)s AND t.kind = 'owner_takeover'
      AND t.created_at >= %(start)s AND t.created_at < %(end)s),
chats AS (
    SELECT conversation_id FROM wrote UNION SELECT conversation_id FROM shown
    UNION SELECT conversation_id FROM opened UNION SELECT conversation_id FROM paid)
SELECT CASE WHEN p.conversation_id IS NOT NULL THEN 6
            WHEN pr.conversation_id IS NOT NULL THEN 5
            WHEN o.conversation_id IS NOT NULL THEN 4
            WHEN ca.conversation_id IS NOT NULL THEN 3
            WHEN s.conversation_id IS NOT NULL THEN 2
            ELSE 1 END AS furthest,
       h.conversation_id IS NOT NULL AS assisted,
       count(*) AS chats
FROM chats c
LEFT JOIN shown s ON s.conversation_id = c.conversation_id
LEFT JOIN carted ca ON ca.conversation_id = c.conversation_id
LEFT JOIN opened o ON o.conversation_id = c.conversation_id
LEFT JOIN prompted pr ON pr.conversation_id = c.conversation_id
LEFT JOIN paid p ON p.conversation_id = c.conversation_id
LEFT JOIN helped h ON h.conversation_id = c.conversation_id
GROUP BY 1, 2
"""

# Paid orders in the range: revenue by source, and the time from the first message of the
# visit that led to each (her first message since her previous paid order) to its payment.
_PAID = """
SELECT COALESCE(o.source, 'organic') AS source, count(*) AS orders,
       COALESCE(sum(o.amount), 0) AS revenue,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.paid_at - v.started))
           AS median_seconds
FROM orders o
LEFT JOIN LATERAL (
    SELECT min(m.created_at) AS started FROM messages m
    WHERE m.conversation_id = o.conversation_id AND m.role = 'customer'
      AND m.created_at <= o.paid_at
      AND m.created_at > COALESCE((
          SELECT max(prev.paid_at) FROM orders prev
          WHERE prev.conversation_id = o.conversation_id AND prev.status = 'paid'
            AND prev.paid_at < o.paid_at), '-infinity')) v ON true
WHERE o.business_id = %(b)s AND o.status = 'paid'
  AND o.paid_at >= %(start)s AND o.paid_at < %(end)s
GROUP BY GROUPING SETS ((COALESCE(o.source, 'organic')), ())
"""


@dataclass(frozen=True)
class Step:
    name: str
    count: int
    previous: int | None  # the step before's count; None for the first step

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def conversion(self) -> float | None:
        """Share of the step before that reached this one."""
        if self.previous is None:
            return None
        return self.count / self.previous if self.previous else None


@dataclass(frozen=True)
class SourceFigure:
    source: Source
    orders: int
    revenue: Decimal


@dataclass(frozen=True)
class Funnel:
    start: datetime
    end: datetime
    segments: dict[str, list[Step]]  # "all", "agent" (agent only), "assisted" (human assisted)
    by_source: list[SourceFigure]
    revenue: Decimal
    paid_orders: int
    median_to_payment: timedelta | None


def funnel(conn: Connection, business_id: str, start: datetime, end: datetime) -> Funnel:
    """The funnel for [start, end) of the boutique the transaction is scoped to."""
    params: dict[str, Any] = {"b": business_id, "start": start, "end": end}
    # Never a prepared (generic) plan: the range decides which plan is fast.
    reached = conn.execute(_FURTHEST, params, prepare=False).fetchall()
    segments = {
        "all": _steps(reached),
        "agent": _steps(r for r in reached if not r["assisted"]),
        "assisted": _steps(r for r in reached if r["assisted"]),
    }
    rows = conn.execute(_PAID, params, prepare=False).fetchall()
    total = next((r for r in rows if r["source"] is None), None)
    found = {r["source"]: r for r in rows if r["source"] is not None}
    by_source = [
        SourceFigure(
            source,
            int(found[source]["orders"]) if source in found else 0,
            Decimal(found[source]["revenue"]) if source in found else Decimal(0),
        )
        for source in SOURCES
    ]
    median = total["median_seconds"] if total else None
    return Funnel(
        start=start,
        end=end,
        segments=segments,
        by_source=by_source,
        revenue=Decimal(total["revenue"]) if total else Decimal(0),
        paid_orders=int(total["orders"]) if total else 0,
        median_to_payment=timedelta(seconds=float(median)) if median is not None else None,
    )


def _steps(groups: Iterable[dict[str, Any]]) -> list[Step]:
    """Counts per step from (furthest step, number of chats) groups."""
    reached = [(int(g["furthest"]), int(g["chats"])) for g in groups]
    counts = [
        sum(chats for furthest, chats in reached if furthest >= level)
        for level in range(1, len(STEPS) + 1)
    ]
    return [
        Step(name, count, counts[i - 1] if i else None)
        for i, (name, count) in enumerate(zip(STEPS, counts, strict=True))
    ]
