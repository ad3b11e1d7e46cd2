"""Who a broadcast goes to: customers whose newest consent event is an opt-in, narrowed by what
they bought (a category, a size) and how recently they last paid for an order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duka.db.pool import Connection


@dataclass(frozen=True)
class Audience:
    """The owner's filters; empty ones do not narrow."""

    category: str = ""  # bought something in this category
    days: int | None = None  # last paid order within this many days
    size: str = ""  # bought something in this size

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "days": self.days, "size": self.size}

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> Audience:
        value = value or {}
        days = value.get("days")
        return cls(
            category=str(value.get("category") or ""),
            days=int(days) if days is not None else None,
            size=str(value.get("size") or ""),
        )


# Paid orders' items with their product's category; the filters below read it.
_BOUGHT = (
    "SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id"
    " LEFT JOIN products p ON p.id = i.product_id"
    " WHERE o.business_id = c.business_id AND o.customer_phone = c.customer_phone"
    " AND o.status = 'paid'"
)


def members(conn: Connection, business_id: str, audience: Audience) -> list[dict[str, Any]]:
    """[{conversation_id, customer_phone}] of the consented customers the filters keep."""
    return conn.execute(
        "SELECT c.id AS conversation_id, c.customer_phone FROM conversations c"
        " JOIN (SELECT DISTINCT ON (customer_phone) customer_phone, kind FROM consent_events"
        "       WHERE business_id = %(business)s"
        "       ORDER BY customer_phone, created_at DESC, id DESC) k"
        "   ON k.customer_phone = c.customer_phone AND k.kind = 'opt_in'"
        " WHERE c.business_id = %(business)s"
        f" AND (%(category)s = '' OR EXISTS ({_BOUGHT}"
        "      AND lower(p.category) = lower(%(category)s)))"
        f" AND (%(size)s = '' OR EXISTS ({_BOUGHT} AND upper(i.size) = upper(%(size)s)))"
        " AND (%(days)s::integer IS NULL OR EXISTS (SELECT 1 FROM orders o"
        "      WHERE o.business_id = c.business_id AND o.customer_phone = c.customer_phone"
        "      AND o.status = 'paid'"
        "      AND COALESCE(o.paid_at, o.created_at) > now() - make_interval(days => %(days)s)))"
        " ORDER BY c.customer_phone",
        {
            "business": business_id,
            "category": audience.category.strip(),
            "size": audience.size.strip(),
            "days": audience.days,
        },
    ).fetchall()


def categories(conn: Connection, business_id: str) -> list[str]:
    """The shop's product categories, for the filter's choices."""
    rows = conn.execute(
        "SELECT DISTINCT category FROM products WHERE business_id = %s AND category <> ''"
        " ORDER BY category",
        (business_id,),
    ).fetchall()
    return [str(r["category"]) for r in rows]
