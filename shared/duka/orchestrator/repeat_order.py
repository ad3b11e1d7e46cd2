""" "Same as last time": her last paid order back in the cart, at today's prices and stock.

A returning customer reaches it by the greeting's "Same as last time" button (payload `again`,
taps.py) or by typing it ("same as last time", "kama last time", "ile ile ya mwisho"), read by
our own matcher before the intent model (which is not retrained for it). Each item goes back
through the cart tool, so it is checked against the stock and priced as today; a sold-out item
is said and left out, a changed price is said. The cart is then shown with the pay button.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

from duka.orchestrator import customer_memory
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts
from duka.orchestrator.intents import Classification, ClassifierContext, classify
from duka.orchestrator.interactive import greeting_buttons, pay_buttons
from duka.orchestrator.restock_offer import item_label
from duka.orchestrator.shopping import Turn, out_of_stock_text
from duka.orchestrator.state import ConversationState
from duka.orchestrator.templates import cart_lines, kes, say
from duka.orchestrator.tools.cart import OutOfStock, SizeUnavailable, add_to_cart, get_cart
from duka.orders import store as order_store
from duka.store import products as product_store

REPEAT = "repeat_order"
_MOST_WORDS = 8  # "same as last time please": longer messages ask for something of their own
_AGAIN = re.compile(
    r"\b(?:"
    r"(?:the\s+)?same\s+(?:as|like)\s+(?:the\s+)?(?:last\s+(?:time|order)|before|previous)"
    r"|same\s+(?:order\s+)?again"
    r"|repeat\s+(?:my\s+|the\s+)?(?:last\s+|previous\s+)?order"
    r"|kama\s+(?:ile\s+(?:ya\s+)?)?(?:last\s+time|mara\s+(?:ya\s+mwisho|iliyopita)|oda\s+ya\s+mwisho)"
    r"|(?:ile\s*ile|zile\s*zile|vile\s*vile)\s+(?:ya\s+|za\s+|kama\s+)?"
    r"(?:mwisho|last\s+time|mara\s+(?:ya\s+mwisho|iliyopita)|awali)"
    r"|rudia\s+oda"
    r")\b",
    re.IGNORECASE,
)


def asks_again(text: str) -> bool:
    """Whether a short message asks for her last order again."""
    return len(text.split()) <= _MOST_WORDS and _AGAIN.search(text) is not None


def route(
    text: str, has_media: bool, state: ConversationState
) -> tuple[str, Classification] | None:
    """The repeat intent for a typed "same as last time"; None for anything else. While the
    agent asks where to deliver, "same as last time" means the address, not the order."""
    if has_media or state.awaiting == "delivery_address" or not asks_again(text):
        return None
    context = ClassifierContext(
        awaiting=None, has_cart=bool(state.current_cart().items), has_shown_items=bool(state.shown)
    )
    return REPEAT, replace(classify(text, context=context), decisive=True)


def repeat(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """Handler: her last paid order's items into the cart, then the cart and the pay button."""
    language = turn.language
    order = customer_memory.last_paid_order(deps.conn, deps.customer_phone)
    if order is None:
        facts.draft = say("repeat_no_order", language)
        facts.interactive = greeting_buttons(language)
        return facts
    notes = [
        note
        for item in order_store.order_items(deps.conn, str(order["id"]))
        if (note := _put_back(deps, item, language, facts))
    ]
    cart = get_cart(deps)
    facts.allow(
        cart.total, *(i.line_total for i in cart.items), *(i.unit_price for i in cart.items)
    )
    if not cart.items:
        facts.draft = "\n".join([*notes, say("repeat_nothing_left", language)])
        facts.interactive = greeting_buttons(language)
        return facts
    deps.state.awaiting = "checkout_confirmation"  # "yes" or the button pays
    facts.draft = "\n".join(
        [
            say("repeat_added", language),
            *notes,
            cart_lines(cart, language),
            say("checkout_prompt", language),
        ]
    )
    facts.interactive = pay_buttons(language)
    return facts


def _put_back(deps: TurnDeps, item: dict[str, Any], language: str, facts: Facts) -> str | None:
    """One line of the old order back in the cart; what the customer must be told, if anything
    (sold out, fewer left, a new price). A line already in the cart stays as it is, so a second
    tap adds nothing."""
    size = item["size"]
    label = item_label(str(item["name"]), size)
    product = (
        product_store.get_product(deps.conn, str(item["product_id"]))
        if item["product_id"]
        else None
    )
    if product is None or not product["active"]:
        return say("repeat_sold_out", language, item=label)
    if deps.state.current_cart().find(str(product["id"]), size) is not None:
        return None
    try:
        add_to_cart(
            deps,
            product_id=str(product["id"]),
            size=size,
            color=item["color"],
            quantity=int(item["quantity"]),
        )
    except SizeUnavailable:
        return say("repeat_sold_out", language, item=label)
    except OutOfStock as exc:
        if exc.available == 0:
            return say("repeat_sold_out", language, item=label)
        return out_of_stock_text(exc, language)
    now, then = Decimal(str(product["price"])), Decimal(str(item["unit_price"]))
    if now == then:
        return None
    facts.allow(now, then)
    return say("repeat_new_price", language, item=product["name"], price=kes(now), was=kes(then))
