"""The "tell me when it's back" offer and the back-in-stock message's button, as the state and
the reply carry them (restock_words.py reads the answers; restock_flow.py acts on them).

When a product, or the size she asked for, is sold out, the reply offers an alert: a button (or
a row of the alternatives' list) with payload alert:<product_id>:<size>, and the wait
`restock_offer` with the item in the state extra `OFFER_KEY`. After the back-in-stock message the
chat holds the item in `READY_KEY` for one message, so a reply to the template (which asks her
to reply) can buy it, as the message's "Buy now" button (restock:<product_id>:<size>) does.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from duka.db.pool import Connection
from duka.orchestrator import interactive as ix
from duka.orchestrator.facts import Facts
from duka.orchestrator.state import ConversationState
from duka.orchestrator.templates import say
from duka.orders import stock_alerts

AWAITING = "restock_offer"
OFFER_KEY = "restock_offer"  # state extra: {product_id, name, size} of the offer
READY_KEY = "restock_ready"  # state extra: {product_id, size}, set by the alert job
BUY_KEY = "restock_buy"  # state extra: {product_id, size}, the item this turn buys
SUBSCRIBE, DECLINE, BUY = "restock_subscribe", "restock_declined", "restock_buy"


def extra_of(state: ConversationState) -> dict[str, Any]:
    extra = state.model_extra
    assert extra is not None  # ConversationState allows extra keys
    return extra


def item_label(name: str, size: str | None) -> str:
    return name + (f" (size {size})" if size else "")


def offer(
    state: ConversationState,
    facts: Facts,
    language: str,
    *,
    product_id: str,
    name: str,
    size: str | None,
) -> None:
    """Add the offer to the reply: a line, and the button (a row when a list is shown)."""
    size = stock_alerts.normal_size(size)
    state.awaiting = AWAITING
    extra_of(state)[OFFER_KEY] = {"product_id": product_id, "name": name, "size": size}
    facts.draft += "\n" + say("restock_offer", language, item=item_label(name, size))
    option = ix.Option(
        id=ix.payload(ix.ALERT, product_id, size or ""), title=say("btn_notify", language)
    )
    shown = facts.interactive
    if shown is not None and shown.kind == "list" and len(shown.options) < ix.MAX_LIST_ITEMS:
        facts.interactive = replace(shown, options=(*shown.options, option))
    else:
        facts.interactive = ix.Interactive("buttons", (option,))


def buy_buttons(product_id: str, size: str | None, language: str) -> ix.Interactive:
    """The back-in-stock message's button: add it to the cart and go to checkout."""
    option = ix.Option(
        id=ix.payload(ix.RESTOCK, product_id, size or ""), title=say("btn_buy_now", language)
    )
    return ix.Interactive("buttons", (option,))


def remember_ready(
    conn: Connection, conversation_id: str, product_id: str, size: str | None
) -> None:
    """After the alert is queued (job transaction): a typed yes to it buys the item. The
    UPDATE waits for a turn holding the conversation's row lock, so no turn overwrites it."""
    conn.execute(
        "UPDATE conversations SET metadata = metadata || jsonb_build_object(%s::text,"
        " jsonb_build_object('product_id', %s::text, 'size', %s::text)) WHERE id = %s",
        (READY_KEY, product_id, size, conversation_id),
    )
