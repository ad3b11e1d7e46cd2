"""Fulfilment updates: pending → shipped → delivered, each telling the customer exactly once.

The status change and the customer's message are stored in one transaction by a conditional
update, so a double click or a retried request changes nothing and sends nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from duka.db.pool import Connection
from duka.errors import Rejected
from duka.outbound import queue_reply
from duka.whatsapp_templates import template_metadata

REQUIRED_BEFORE = {"shipped": "pending", "delivered": "shipped"}
STAMP_COLUMN = {"shipped": "shipped_at", "delivered": "delivered_at"}
TEMPLATE = {"shipped": "order_dispatched", "delivered": "order_delivered"}

NOTICES = {
    ("shipped", "en"): "📦 Good news{name}! Your order from {shop} ({items}) is on its way.",
    ("shipped", "sw"): "📦 Habari njema{name}! Oda yako kutoka {shop} ({items}) iko njiani.",
    ("delivered", "en"): "✅ Your order from {shop} ({items}) has been delivered. Thank you for "
    "shopping with us{name}! 💛",
    ("delivered", "sw"): "✅ Oda yako kutoka {shop} ({items}) imefika. Asante kwa kununua nasi"
    "{name}! 💛",
}


class FulfilmentNotAllowed(Rejected):
    """The order can't move to that status (not paid yet, or a step skipped): owner's choice."""


@dataclass(frozen=True)
class FulfilmentUpdate:
    changed: bool  # False: the order was already there (nothing sent again)
    conversation_id: str | None  # where the notice waits to be sent


def _items_summary(conn: Connection, order: dict[str, Any]) -> str:
    rows = conn.execute(
        "SELECT name, size, quantity FROM order_items WHERE order_id = %s ORDER BY name",
        (order["id"],),
    ).fetchall() or list(order.get("items") or [])
    parts = [
        f"{r['name']}" + (f" {r['size']}" if r.get("size") else "") + f" ×{r.get('quantity', 1)}"
        for r in rows
    ]
    summary = ", ".join(parts)
    return summary if len(summary) <= 200 else summary[:197] + "…"


def notice_text(
    status: str, language: str, shop: str, items: str, customer_name: str | None
) -> str:
    lang = "sw" if language == "sw" else "en"
    name = f" {customer_name.split()[0]}" if customer_name else ""
    return NOTICES[(status, lang)].format(name=name, shop=shop, items=items)


def advance_fulfilment(
    conn: Connection, business_id: str, order_id: UUID, target: str
) -> FulfilmentUpdate | None:
    """Move the order on and store the customer's notice; None when the order isn't visible."""
    if target not in REQUIRED_BEFORE:
        raise FulfilmentNotAllowed(f"Unknown fulfilment status {target!r}.")
    order = conn.execute(
        f"UPDATE orders SET fulfillment_status = %s, {STAMP_COLUMN[target]} = now(),"
        " updated_at = now() WHERE id = %s AND status = 'paid' AND fulfillment_status = %s"
        " RETURNING *",
        (target, order_id, REQUIRED_BEFORE[target]),
    ).fetchone()
    if order is None:
        return _unchanged(conn, order_id, target)
    conversation = conn.execute(
        "SELECT c.id, c.customer_name, c.metadata->>'language' AS language, b.name AS shop"
        " FROM conversations c, businesses b"
        " WHERE c.id = %s OR (%s::uuid IS NULL AND c.customer_phone = %s) LIMIT 1",
        (order["conversation_id"], order["conversation_id"], order["customer_phone"]),
    ).fetchone()
    if conversation is None:
        return FulfilmentUpdate(changed=True, conversation_id=None)
    items = _items_summary(conn, order)
    queue_reply(
        conn,
        business_id=business_id,
        conversation_id=str(conversation["id"]),
        text=notice_text(
            target,
            conversation["language"] or "en",
            conversation["shop"],
            items,
            conversation["customer_name"],
        ),
        role="system",
        metadata={
            "notice": f"order_{target}",
            "order_id": str(order_id),
            "proactive": True,
            # what goes instead once the customer's 24-hour window has closed
            "template": template_metadata(
                TEMPLATE[target], {"1": conversation["shop"], "2": items}
            ),
        },
    )
    return FulfilmentUpdate(changed=True, conversation_id=str(conversation["id"]))


def _unchanged(conn: Connection, order_id: UUID, target: str) -> FulfilmentUpdate | None:
    order = conn.execute(
        "SELECT status, fulfillment_status FROM orders WHERE id = %s", (order_id,)
    ).fetchone()
    if order is None:
        return None
    steps = ["pending", "shipped", "delivered"]
    if steps.index(order["fulfillment_status"]) >= steps.index(target):
        return FulfilmentUpdate(changed=False, conversation_id=None)
    if order["status"] != "paid":
        raise FulfilmentNotAllowed("Only paid orders can be shipped.")
    raise FulfilmentNotAllowed("Mark the order shipped before delivered.")
