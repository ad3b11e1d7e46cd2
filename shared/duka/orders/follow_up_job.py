"""The `follow_ups` scheduled job: a customer who went quiet with a cart gets one reminder (Pay /
Edit cart), and one whose M-Pesa prompt failed, was cancelled or expired gets one offer to try
again (the "Try again" tap every failed payment notice carries).

Due chats are listed across tenants by `follow_ups_due`; each is then handled in its tenant's
transaction under the conversation's row lock: `follow_up_kind` checks every rule again (she may
have written, paid, said STOP or been handed to the owner since the listing), the follow-up is
claimed with a row whose unique constraints allow one send, and the message is queued and the
attribution touch recorded in that same transaction, so a redelivered or concurrent run never
sends twice. The message is proactive; it carries its MARKETING template only for a customer
who opted in, since only she may get it outside the 24-hour window. Sent after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from duka.db.pool import Connection, tenant_transaction, transaction
from duka.logs import log
from duka.orchestrator.cart_model import Cart
from duka.orchestrator.interactive import Interactive, pay_buttons, payment_failed_buttons
from duka.orchestrator.templates import cart_lines, describe_item, kes, say
from duka.orders import attribution, follow_ups
from duka.orders import store as order_store
from duka.outbound import deliver_pending, queue_reply
from duka.store import consent, conversations
from duka.whatsapp_templates import template_metadata

logger = logging.getLogger(__name__)

MAX_CHATS = 200
MAX_ITEMS_TEXT = 200  # the template's item summary; WhatsApp caps a variable's length


@dataclass
class FollowUpReport:
    cart: int = 0
    prompt: int = 0


def run_follow_ups(max_chats: int = MAX_CHATS) -> FollowUpReport:
    """One pass over every tenant's chats due a follow-up."""
    with transaction() as conn:
        due = conn.execute("SELECT * FROM follow_ups_due(%s)", (max_chats,)).fetchall()
    report = FollowUpReport()
    for row in due:
        business_id, conversation_id = str(row["business_id"]), str(row["conversation_id"])
        kind = _handle(business_id, conversation_id)
        if kind is None:
            continue
        setattr(report, kind, getattr(report, kind) + 1)
        deliver_pending(business_id, conversation_id)
    if due:
        log(logger, logging.INFO, "follow-ups handled", due=len(due), **vars(report))
    return report


def _handle(business_id: str, conversation_id: str) -> follow_ups.Kind | None:
    """The kind queued, or None: nothing is due any more, or another run got there first."""
    with tenant_transaction(business_id) as conn:
        chat = conversations.lock_conversation(conn, conversation_id)
        kind = follow_ups.due_kind(conn, conversation_id) if chat else None
        if chat is None or kind is None:
            return None
        phone = str(chat["customer_phone"])
        order = order_store.latest_order(conn, conversation_id) if kind == "prompt" else None
        follow_up_id = follow_ups.claim(
            conn,
            business_id=business_id,
            conversation_id=conversation_id,
            customer_phone=phone,
            kind=kind,
            order_id=str(order["id"]) if order else None,
        )
        if follow_up_id is None:
            return None
        message_id = _queue(conn, business_id, chat, kind, order, follow_up_id)
        follow_ups.note_message(conn, follow_up_id, message_id)
        attribution.record_touch(
            conn, business_id=business_id, customer_phone=phone, kind="follow_up", ref=follow_up_id
        )
        return kind


def _queue(
    conn: Connection,
    business_id: str,
    chat: dict[str, Any],
    kind: follow_ups.Kind,
    order: dict[str, Any] | None,
    follow_up_id: str,
) -> str:
    conversation_id, phone = str(chat["id"]), str(chat["customer_phone"])
    shop_row = conn.execute("SELECT name FROM businesses WHERE id = %s", (business_id,)).fetchone()
    shop = str(shop_row["name"]) if shop_row else ""
    language = conversations.reply_language(conn, conversation_id)
    buttons: Interactive
    if order is None:
        cart = Cart.model_validate((chat["metadata"] or {}).get("cart") or {})
        items = _summary([(i.name, i.size, i.quantity) for i in cart.items])
        text = say("follow_up_cart", language, shop=shop, cart=cart_lines(cart, language))
        template, total = "follow_up_cart", kes(cart.total)
        buttons = pay_buttons(language)
    else:
        lines = order_store.order_items(conn, str(order["id"]))
        items = _summary([(r["name"], r["size"], int(r["quantity"])) for r in lines])
        total = kes(order["amount"])
        text = say("follow_up_prompt", language, shop=shop, total=total, items=items)
        template = "follow_up_prompt"
        buttons = payment_failed_buttons(str(order["id"]), language)
    metadata: dict[str, Any] = {
        "kind": f"follow_up_{kind}",
        "proactive": True,
        "follow_up_id": follow_up_id,
        "interactive": buttons.to_metadata(text),
    }
    if consent.marketing_allowed(conn, business_id, phone):
        metadata["template"] = template_metadata(template, {"1": shop, "2": items, "3": total})
    return queue_reply(
        conn, business_id=business_id, conversation_id=conversation_id, text=text, metadata=metadata
    )


def _summary(items: list[tuple[str, str | None, int]]) -> str:
    """Items (name, size, quantity) in one line: "1 x Red Dress (size M), 2 x Scarf"."""
    text = ", ".join(describe_item(name, size, quantity) for name, size, quantity in items)
    return text if len(text) <= MAX_ITEMS_TEXT else text[: MAX_ITEMS_TEXT - 1] + "…"
