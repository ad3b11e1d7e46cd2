"""Lipa pole pole in chat: start a plan from the cart (terms, then the deposit prompt), tell the
balance and due date, and prompt for a further payment. Every amount comes from the database
and the shop's terms (`duka.orders.layaway`); the words that lead here are `layaway_words`.

A running plan does not block a new cart purchase: its order is 'layaway', not the chat's open
(pending) order, so the customer may buy something else meanwhile.
"""

from __future__ import annotations

from decimal import Decimal

from duka.orchestrator import checkout_flow
from duka.orchestrator import layaway_words as words
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts
from duka.orchestrator.shopping import Turn
from duka.orchestrator.templates import cart_lines, kes, say
from duka.orchestrator.tools.cart import get_cart
from duka.orders import layaway
from duka.orders.checkout import (
    CartLine,
    CheckoutStatus,
    LayawayRequest,
    start_checkout,
)
from duka.orders.layaway_instalments import Instalment, pay_instalment
from duka.orders.layaway_notices import due_date
from duka.phone import local_format

_CHECKOUT_REPLIES = {
    CheckoutStatus.TOO_MANY_PUSHES: "too_many_pushes",
    CheckoutStatus.OUTCOME_UNKNOWN: "outcome_unknown",
    CheckoutStatus.INVALID_PHONE: "invalid_phone",
    CheckoutStatus.EMPTY_CART: "cart_empty",
    CheckoutStatus.PAYER_LIMIT: "payer_limit",
}
_INSTALMENT_REPLIES = {
    Instalment.OUTCOME_UNKNOWN: "outcome_unknown",
    Instalment.GATEWAY_UNAVAILABLE: "gateway_down",
    Instalment.TOO_MANY_PUSHES: "too_many_pushes",
}


def _remember(deps: TurnDeps, key: str, value: object) -> None:
    """State extras (ConversationState keeps unknown keys): the plan, a named deposit."""
    extra = deps.state.model_extra
    if extra is None:
        return
    if value is None:
        extra.pop(key, None)
    else:
        extra[key] = value


def _asked_deposit(deps: TurnDeps, turn: Turn, total: int) -> int | None:
    """The deposit the customer named: an amount, "half", or one named before the address."""
    named = words.amount_in(turn.text)
    if named is None and words.asks_half(turn.text):
        named = -(-total // 2)
    if named is None:
        kept = (deps.state.model_extra or {}).get(words.ASKED_KEY)
        named = int(kept) if kept else None
    return named


def start(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """Pay the cart by lipa pole pole: terms, then the deposit prompt."""
    language = turn.language
    terms = layaway.terms_for(deps.business.get("settings"))
    if terms is None:
        facts.draft = say("layaway_off", language)
        return facts
    cart = get_cart(deps)
    if not cart.items:
        if words.plan_order(deps.state) is not None:
            return balance(deps, turn, facts)
        facts.draft = say(
            "layaway_how", language, percent=terms.min_deposit_percent, days=terms.term_days
        )
        return facts
    left_out = layaway.excluded_products(deps.conn, [i.product_id for i in cart.items])
    if left_out:
        facts.draft = say("layaway_not_for", language, items=", ".join(left_out))
        return facts
    delivery = deps.state.delivery
    if delivery is None:
        _remember(deps, words.ASKED_KEY, words.amount_in(turn.text))
        deps.state.awaiting = words.AWAITING_ADDRESS
        facts.allow(cart.total)
        facts.draft = cart_lines(cart, language) + "\n" + say("ask_address", language)
        return facts
    total = int(Decimal(cart.total).to_integral_value()) + delivery.fee_kes
    least = terms.minimum_deposit(total)
    asked = _asked_deposit(deps, turn, total)
    _remember(deps, words.ASKED_KEY, None)
    deps.state.awaiting = None
    facts.allow(total, least, asked)
    if asked is not None and not least <= asked <= total:
        key = "layaway_deposit_low" if asked < least else "layaway_deposit_high"
        facts.draft = say(key, language, least=kes(least), total=kes(total))
        return facts
    result = start_checkout(
        business_id=deps.business_id,
        conversation_id=deps.conversation_id,
        customer_phone=deps.customer_phone,
        pay_phone=None,
        lines=[CartLine(i.product_id, i.quantity, i.size, i.color) for i in cart.items],
        delivery=delivery.as_details(),
        idempotency_key=turn.message_ids[0],
        layaway_request=LayawayRequest(asked),
    )
    status = CheckoutStatus(result.status)
    if status is CheckoutStatus.SOLD_OUT:
        facts.draft = say("sold_out", language, items=", ".join(result.sold_out))
        return facts
    if status is CheckoutStatus.LAYAWAY_UNAVAILABLE:
        facts.draft = say("layaway_off", language)
        return facts
    order_total = result.total_kes or total
    terms_text = say(
        "layaway_terms",
        language,
        total=kes(order_total),
        percent=terms.min_deposit_percent,
        least=kes(terms.minimum_deposit(order_total)),
        days=terms.term_days,
    )
    facts.allow(order_total, terms.minimum_deposit(order_total))
    if status is CheckoutStatus.STK_SENT:
        deps.state.order_id = result.order_id
        deps.state.last_delivery, deps.state.delivery = deps.state.delivery, None
        _remember(deps, words.PLAN_KEY, result.order_id)
        facts.allow(result.amount_kes)
        outcome = say(
            "layaway_deposit_sent",
            language,
            deposit=kes(result.amount_kes),
            phone=local_format(deps.customer_phone),
        )
    elif status is CheckoutStatus.ALREADY_PENDING:
        outcome = say("already_pending", language)
    else:
        outcome = say(_CHECKOUT_REPLIES.get(status, "gateway_down"), language)
    facts.draft = terms_text + "\n" + outcome
    return facts


def address(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """The delivery address asked for before a plan's deposit prompt."""
    deps.state.delivery = checkout_flow.place_delivery(deps, turn)
    pending = checkout_flow.pending_fee_reply(deps, turn, facts)  # the shop sets the fee first
    return pending or start(deps, turn, facts)


def balance(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "How much is left?": paid so far, balance and due date of the chat's plan."""
    plan = layaway.current_plan(deps.conn, deps.conversation_id)
    if plan is None:
        facts.draft = say("layaway_none", turn.language)
        return facts
    facts.allow(plan.total, plan.received, plan.balance)
    values = {
        "total": kes(plan.total),
        "received": kes(plan.received),
        "balance": kes(plan.balance),
        "due": due_date(plan.due_at),
    }
    key = {
        "paid": "layaway_paid",
        "lapsed": "layaway_lapsed",
        "pending": "layaway_deposit_waiting",
    }.get(plan.status, "layaway_balance")
    facts.draft = say(key, turn.language, **values)
    return facts


def pay(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Pay 1000" / "lipa salio": a prompt for that amount (default: the balance)."""
    plan = layaway.current_plan(deps.conn, deps.conversation_id)
    if plan is None or plan.status != "layaway":
        return balance(deps, turn, facts)
    result = pay_instalment(
        business_id=deps.business_id,
        order_id=plan.order_id,
        amount=words.amount_in(turn.text),
        customer_phone=deps.customer_phone,
        idempotency_key=turn.message_ids[0],
    )
    facts.allow(result.amount_kes, result.balance_kes, plan.balance)
    if result.status is Instalment.SENT:
        facts.draft = say(
            "layaway_prompt_sent",
            turn.language,
            amount=kes(result.amount_kes),
            balance=kes(result.balance_kes),
            phone=local_format(plan.pay_phone or deps.customer_phone),
        )
    elif result.status is Instalment.OVER_BALANCE:
        facts.draft = say("layaway_over_balance", turn.language, balance=kes(result.balance_kes))
    elif result.status is Instalment.PROMPT_OPEN:
        facts.draft = say("layaway_prompt_open", turn.language, amount=kes(result.amount_kes))
    elif result.status is Instalment.NOT_OPEN:
        return balance(deps, turn, facts)
    else:
        facts.draft = say(_INSTALMENT_REPLIES[result.status], turn.language)
    return facts
