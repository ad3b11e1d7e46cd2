"""Fulfilment updates: pending → shipped → delivered, each telling the customer exactly once.

At dispatch the owner may give the courier and a tracking number or link: they are stored on
the order and sent to the customer with the "on its way" notice.

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


TRACKING = {
    "en": "Courier: {courier}. Tracking: {tracking}",
    "sw": "Courier: {courier}. Tracking: {tracking}",
}
MAX_COURIER, MAX_TRACKING = 60, 300


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


def tracking_line(language: str, courier: str | None, tracking: str | None) -> str:
    """ "Courier: G4S. Tracking: …", or "" when the owner gave neither."""
    if not courier and not tracking:
        return ""
    lang = "sw" if language == "sw" else "en"
    return TRACKING[lang].format(courier=courier or "-", tracking=tracking or "-")


def _clean(value: str | None, limit: int, label: str) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise FulfilmentNotAllowed(f"Keep the {label} under {limit} characters.")
    return text or None


def advance_fulfilment(
    conn: Connection,
    business_id: str,
    order_id: UUID,
    target: str,
    *,
    courier: str | None = None,
    tracking: str | None = None,
) -> FulfilmentUpdate | None:
    """Move the order on and store the customer's notice; None when the order isn't visible.
    `courier` and `tracking` (number or link) are kept at dispatch and told to the customer."""
    if target not in REQUIRED_BEFORE:
        raise FulfilmentNotAllowed(f"Unknown fulfilment status {target!r}.")
    courier = _clean(courier, MAX_COURIER, "courier")
    tracking = _clean(tracking, MAX_TRACKING, "tracking number or link")
    shipping = target == "shipped"
    order = conn.execute(
        f"UPDATE orders SET fulfillment_status = %s, {STAMP_COLUMN[target]} = now(),"
        " courier = CASE WHEN %s THEN %s ELSE courier END,"
        " tracking = CASE WHEN %s THEN %s ELSE tracking END,"
        " updated_at = now() WHERE id = %s AND status = 'paid' AND fulfillment_status = %s"
        " RETURNING *",
        (target, shipping, courier, shipping, tracking, order_id, REQUIRED_BEFORE[target]),
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
    language = conversation["language"] or "en"
    text = notice_text(target, language, conversation["shop"], items, conversation["customer_name"])
    tracked = tracking_line(language, order["courier"], order["tracking"]) if shipping else ""
    if tracked:  # the template's items line carries it too, once the 24 hours are over
        text, items = f"{text}\n{tracked}", f"{items} · {tracked}"
    queue_reply(
        conn,
        business_id=business_id,
        conversation_id=str(conversation["id"]),
        text=text,
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
