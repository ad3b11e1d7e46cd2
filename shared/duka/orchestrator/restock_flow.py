"""Handlers for back-in-stock alerts: subscribe to the item offered, decline the offer, and buy
the item an alert named (add it to the cart and go on to checkout). restock_words.py routes to
them; the `stock_alerts` job (duka/orders/stock_alert_job.py) sends the alerts.
"""

from __future__ import annotations

from dataclasses import replace

from duka.orchestrator import checkout_flow
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.entities import Entities
from duka.orchestrator.facts import Facts, ShownProduct
from duka.orchestrator.restock_offer import BUY_KEY, OFFER_KEY, extra_of, item_label
from duka.orchestrator.shopping import Turn, add
from duka.orchestrator.templates import say
from duka.orders import stock_alerts
from duka.store import products as product_store


def subscribe(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Yes" or the button: one open alert for this customer, product and size."""
    offered = extra_of(deps.state).pop(OFFER_KEY, None)
    deps.state.awaiting = None
    if not isinstance(offered, dict):  # routing checked it; nothing offered means nothing to do
        facts.draft = say("other", turn.language)
        return facts
    stock_alerts.subscribe(
        deps.conn,
        business_id=deps.business_id,
        conversation_id=deps.conversation_id,
        customer_phone=deps.customer_phone,
        product_id=str(offered["product_id"]),
        size=offered.get("size"),
    )
    item = item_label(str(offered["name"]), offered.get("size"))
    facts.draft = say("restock_subscribed", turn.language, item=item)
    return facts


def declined(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "No" to the offer: it is closed, nothing is subscribed."""
    extra_of(deps.state).pop(OFFER_KEY, None)
    deps.state.awaiting = None
    facts.draft = say("no_problem", turn.language)
    return facts


def buy(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Buy now" (or a yes to the alert): the item in the cart, then checkout as after "Pay"."""
    wanted = extra_of(deps.state).pop(BUY_KEY, None)
    product = (
        product_store.get_product(deps.conn, str(wanted["product_id"]))
        if isinstance(wanted, dict)
        else None
    )
    if product is None or not isinstance(wanted, dict):
        facts.draft = say("unavailable", turn.language)
        return facts
    deps.state.shown = [ShownProduct.from_row(product)]
    size = wanted.get("size")
    picked = replace(turn, entities=Entities(item_refs=(1,), sizes=(size,) if size else ()))
    facts = add(deps, picked, facts)
    if deps.state.awaiting != "checkout_confirmation":  # not added (sold out again): as said
        return facts
    added = facts.draft.split("\n", 1)[0]
    facts = checkout_flow.checkout(deps, turn, facts)
    facts.draft = added + "\n" + facts.draft
    return facts
