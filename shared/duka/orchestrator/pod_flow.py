"""Pay on delivery chosen in chat: where the owner allows it, the order with no M-Pesa prompt.

`reroute` recognises it in code (pod_words) before anything else reads the message, as
till_flow.reroute does for the Till: with a cart it is `pay_on_delivery`; a question about the
policy ("do you do pay on delivery?") or one with nothing to pay for is a shop question, answered
from the zones (shop_flow). Whether her delivery allows it is the zone's (delivery/zones.py): a
pickup point, collecting at the shop, or a place the owner prices (a quote) never does. Allowed,
the order is made with its stock reserved and no expiry (manual_pay.open_order on_delivery) and
waits for the owner to record the payment the rider collects; the total is the database's price
of the cart plus the fee. Asked before the address, the choice is remembered and the address
is answered by `pod_address`. Refused, she is told plainly and the M-Pesa checkout goes on.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from duka.delivery import quotes
from duka.delivery.zones import any_zone_allows, area_named_in, is_shop_pickup, zone_for
from duka.orchestrator import checkout_flow, shop_flow
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts
from duka.orchestrator.interactive import pay_buttons
from duka.orchestrator.pod_words import asks_about_it, says_pay_on_delivery
from duka.orchestrator.routing import Routed
from duka.orchestrator.shopping import Turn
from duka.orchestrator.state import ConversationState, Delivery
from duka.orchestrator.templates import cart_lines, kes, say
from duka.orchestrator.tools.cart import get_cart
from duka.orders import manual_pay, reservations, store
from duka.orders.pricing import CartLine
from duka.whatsapp_templates import owner_alert

# State extra: pay on delivery was chosen before the address; the address then places it.
_CHOSE_POD = "pay_on_delivery"
# Readings that keep that choice: the address is still being asked for.
_KEEP_CHOICE = frozenset({"ask_address", "ask_again"})
# Our own readings that win over hers: a pasted M-Pesa code, the Till asked for.
_TILL_READINGS = frozenset({"paste_code", "pay_manually"})


def reroute(
    routed: Routed, text: str, business: dict[str, Any], state: ConversationState
) -> Routed:
    """ "Nitalipa nikipokea" with a cart, a question about pay on delivery, or the address
    asked for after choosing it, whatever the classifier read. Anything else forgets it."""
    if routed.intent in _TILL_READINGS:
        forget_choice(state)
        return routed
    if says_pay_on_delivery(text):
        if asks_about_it(text) or not state.current_cart().items:
            if routed.intent == "shop_question":  # it may ask other things too
                return routed
            intent = "shop_question"
        else:
            intent = "pay_on_delivery"
    elif routed.intent == "delivery_address" and _chose(state):
        intent = "pod_address"
    else:
        if routed.intent not in _KEEP_CHOICE:
            forget_choice(state)
        return routed
    reading = replace(routed.classification, decisive=True, alternatives=())
    return Routed(intent, reading, text)


def _chose(state: ConversationState) -> bool:
    return bool((state.model_extra or {}).get(_CHOSE_POD))


def forget_choice(state: ConversationState) -> None:
    """A tap or another request: the next address gets the usual M-Pesa checkout."""
    if state.model_extra is not None:
        state.model_extra.pop(_CHOSE_POD, None)


def allowed_for(settings: dict[str, Any], delivery: Delivery) -> bool:
    """Whether the owner lets this delivery be paid when it arrives."""
    if delivery.pickup_point_id or delivery.quote_id or is_shop_pickup(delivery.area):
        return False
    zone = zone_for(settings, delivery.area)
    return zone is not None and zone.pay_on_delivery


def pay_on_delivery(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    settings = deps.business.get("settings") or {}
    order = store.pending_order(deps.conn, deps.conversation_id)
    if order is not None:  # one open order at a time: say where it stands
        total = Decimal(order["amount"])
        facts.allow(total)
        key = "pod_waiting" if order["pay_on_delivery"] else "pod_prompt_open"
        facts.draft = say(key, turn.language, total=kes(total))
        return facts
    cart = get_cart(deps)
    if not cart.items:
        return shop_flow.shop_question(deps, turn, facts)
    if not any_zone_allows(settings):
        return _refused(deps, turn, facts, say("pod_no", turn.language))
    named = turn.entities.delivery_area or area_named_in(settings, turn.text)
    if deps.state.delivery is None and named:  # "COD, niko Westlands"
        deps.state.delivery = checkout_flow.place_delivery(deps, turn)
    delivery = deps.state.delivery
    if delivery is None:  # the address comes next, and places the order (pod_address)
        deps.state.awaiting = "delivery_address"
        if deps.state.model_extra is not None:
            deps.state.model_extra[_CHOSE_POD] = True
        facts.allow(cart.total)
        facts.draft = "\n".join(
            [
                say("pod_noted", turn.language),
                cart_lines(cart, turn.language),
                say("ask_address", turn.language),
            ]
        )
        return facts
    return _place(deps, turn, facts, delivery)


def pod_address(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """The address asked for after choosing pay on delivery."""
    forget_choice(deps.state)
    deps.state.delivery = checkout_flow.place_delivery(deps, turn)
    deps.state.awaiting = None
    return _place(deps, turn, facts, deps.state.delivery, after_address=True)


def _place(
    deps: TurnDeps, turn: Turn, facts: Facts, delivery: Delivery, *, after_address: bool = False
) -> Facts:
    settings = deps.business.get("settings") or {}
    if not allowed_for(settings, delivery):
        place = delivery.area or delivery.address
        refusal = say("pod_not_here", turn.language, place=place)
        return _refused(deps, turn, facts, refusal, go_on=after_address)
    conn, cart = deps.conn, get_cart(deps)
    try:
        with conn.transaction():  # a sold-out item undoes the whole order
            order_id, amount = manual_pay.open_order(
                conn,
                business=deps.business,
                conversation_id=deps.conversation_id,
                customer_phone=deps.customer_phone,
                lines=[CartLine(i.product_id, i.quantity, i.size, i.color) for i in cart.items],
                delivery=delivery.as_details(),
                key=turn.message_ids[0],
                on_delivery=True,
            )
    except reservations.SoldOut as exc:
        facts.draft = say("sold_out", turn.language, items=", ".join(exc.names))
        return facts
    order = store.lock_order(conn, order_id)
    assert order is not None
    fee = int((order["delivery_info"] or {}).get("fee_kes") or 0)
    forget_choice(deps.state)
    deps.state.order_id, deps.state.awaiting = order_id, None
    deps.state.last_delivery, deps.state.delivery = delivery, None
    facts.allow(amount, fee)
    facts.draft = say(
        "pod_placed", turn.language, total=kes(amount), fee=kes(fee)
    ) + checkout_flow.expected_days(deps, delivery, turn.language)
    _alert_owner(deps, facts, amount, delivery)
    return facts


def _refused(
    deps: TurnDeps, turn: Turn, facts: Facts, refusal: str, *, go_on: bool = False
) -> Facts:
    """Told plainly, then the usual checkout: the address asked for, or the owner's fee
    awaited; with the address known the prompt is offered, or sent when (`go_on`) the address
    was just given as the answer to "where should we deliver?"."""
    forget_choice(deps.state)
    delivery = deps.state.delivery
    fee = delivery.fee_kes if delivery is not None else None
    if delivery is not None and delivery.quote_id:
        fee = quotes.quote_fee(deps.conn, delivery.quote_id)
    if delivery is not None and fee is not None and not go_on:
        total = get_cart(deps).total + fee
        facts.allow(total)
        facts.draft = refusal + "\n" + say("pod_pay_offer", turn.language, total=kes(total))
        facts.interactive = pay_buttons(turn.language)
        return facts
    first = go_on and delivery is not None and delivery.quote_id is not None
    facts = (checkout_flow.pending_fee_reply(deps, turn, facts) if first else None) or (
        checkout_flow.checkout(deps, turn, facts)
    )
    facts.draft = refusal + "\n" + facts.draft
    return facts


def _alert_owner(deps: TurnDeps, facts: Facts, amount: int, delivery: Delivery) -> None:
    owner = deps.business.get("phone")
    if not owner or owner == deps.business.get("whatsapp_number"):
        return
    alert = say(
        "owner_pod_alert",
        "en",
        phone=deps.customer_phone,
        total=kes(amount),
        address=delivery.address,
    )
    facts.extra_messages.append(
        {
            "to": owner,
            "role": "system",
            "text": alert,
            "template": owner_alert(alert[:100], deps.customer_phone),
        }
    )
