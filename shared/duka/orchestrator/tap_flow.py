"""Handlers only a tap reaches (taps.py): browse, edit the cart, retry a payment, other ways to
pay, and the stale tap, which changes nothing and offers the conversation's current choices."""

from __future__ import annotations

from duka.delivery.zones import shop_pickup_fee
from duka.orchestrator import checkout_flow, customer_memory, till_flow
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts, ShownProduct
from duka.orchestrator.interactive import greeting_buttons, pay_buttons, product_list, size_list
from duka.orchestrator.shopping import Turn, show_results, sizes_in_stock
from duka.orchestrator.state import Delivery
from duka.orchestrator.templates import cart_lines, product_lines, say
from duka.orchestrator.tools.cart import get_cart, sizes_of
from duka.orchestrator.tools.payments import check_payment_status
from duka.orchestrator.tools.products import search_products
from duka.store import products as product_store

BROWSE_LIMIT = 10  # a list picker's most rows
PICKUP_AREA = "pickup"  # delivery.py's zone for collecting at the shop


def browse(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Browse": what is in stock, newest first, as a list to pick from."""
    hits = search_products(deps, text="", limit=BROWSE_LIMIT)
    facts = show_results(deps, turn, facts, [ShownProduct.from_row(h) for h in hits], "results")
    customer_memory.offer_repeat(deps, facts, turn.language)  # "Same as last time" first
    return facts


def edit_cart(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Edit cart": the cart, and how to change it in words."""
    cart = get_cart(deps)
    facts.allow(cart.total, *(i.line_total for i in cart.items))
    facts.draft = cart_lines(cart, turn.language) + "\n" + say("edit_cart_hint", turn.language)
    return facts


def retry_payment(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Try again" after a failed prompt: the same order, to the same address, prompted anew
    (taps.py checked that the order is this chat's latest and that it is unpaid). While its
    prompt is still open, the gateway is asked first (`checkout_flow.resend_or_wait`)."""
    order = check_payment_status(deps)
    if order is not None and order["status"] == "pending":
        return checkout_flow.resend_or_wait(deps, turn, facts, order)
    if deps.state.delivery is None:
        deps.state.delivery = deps.state.last_delivery
    return checkout_flow.checkout(deps, turn, facts)


def same_address(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Same as last time": the previous order's address, chosen by the customer."""
    deps.state.delivery = deps.state.last_delivery
    deps.state.awaiting = None
    return checkout_flow.checkout(deps, turn, facts)


def pickup(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Pick up at the shop" (offered only when the owner allows pickup)."""
    fee = shop_pickup_fee(deps.business.get("settings") or {})
    deps.state.delivery = Delivery(address=PICKUP_AREA, area=PICKUP_AREA, fee_kes=fee)
    deps.state.awaiting = None
    return checkout_flow.checkout(deps, turn, facts)


def other_ways_to_pay(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """The Till/Paybill with the order's reference and balance (the shop's ways to pay when it
    has neither)."""
    return till_flow.pay_manually(deps, turn, facts)


def stale(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """A tap the state refuses: say so, and offer what can be chosen now."""
    state, language = deps.state, turn.language
    lines = [say("tap_stale", language)]
    cart = state.current_cart()
    waiting = state.pending_add
    product = product_store.get_product(deps.conn, waiting.id) if waiting else None
    if waiting is not None and product is not None and product["active"]:
        sizes = sizes_of(product)
        in_stock = sizes_in_stock(deps, product, sizes)
        usual = customer_memory.usual_in_stock(deps, product, in_stock)  # "in your usual M?"
        asked = say("which_size", language, item=waiting.name, sizes=", ".join(sizes))
        lines.append(asked + customer_memory.usual_line(usual, language))
        facts.interactive = size_list(waiting.id, in_stock, language, usual) if in_stock else None
    elif state.awaiting == "delivery_address":
        lines.append(say("ask_address", language))
    elif cart.items:
        facts.allow(cart.total, *(i.line_total for i in cart.items))
        lines += [cart_lines(cart, language), say("checkout_prompt", language)]
        state.awaiting = "checkout_confirmation"
        facts.interactive = pay_buttons(language)
    elif state.shown:
        products = state.shown_items()
        facts.allow(*(p.price for p in products))
        lines += [say("results", language), product_lines(products), say("pick_hint", language)]
        facts.interactive = product_list(products, language)
    else:
        lines.append(say("nothing_shown", language))
        facts.interactive = greeting_buttons(language)
    facts.draft = "\n".join(lines)
    return facts
