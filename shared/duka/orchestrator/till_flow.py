"""Paying the shop's Till or Paybill by hand, and the M-Pesa code or SMS pasted after it.

`reroute` recognises both in code before anything else reads the message (the intent model is
not retrained for them): a pasted code or confirmation SMS (duka.orders.mpesa_sms) is
`paste_code`; "nipe till number", "can I pay via paybill", "lipa na till" is `pay_manually`
when the shop has a Till or Paybill in its settings. `pay_manually` gives the numbers, the
order's reference as the account and the exact balance, making the order first when there is
only a cart (no M-Pesa prompt); asked before the address, the choice is remembered and the
address is answered with the Till (`till_address`), not a prompt. `paste_code` counts the code
only as duka.orders.code_claims decides; nothing a customer pastes is believed without M-Pesa's
own record. With no open order, a code reopens the order whose prompt just failed or expired:
she often pays the Till straight after a failed prompt without asking first.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

from duka.orchestrator import checkout_flow, layaway_words, shop_flow
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts
from duka.orchestrator.owner_questions import flag_for_owner
from duka.orchestrator.routing import Routed
from duka.orchestrator.shopping import Turn
from duka.orchestrator.state import ConversationState
from duka.orchestrator.templates import cart_lines, kes, say
from duka.orchestrator.tools.cart import get_cart
from duka.orders import code_checks, code_claims, layaway, ledger, manual_pay, reservations, store
from duka.orders.code_claims import Decided, Verdict
from duka.orders.gateway_choice import gateway_name
from duka.orders.mpesa_sms import PastedPayment, read_pasted_payment
from duka.orders.pricing import CartLine
from duka.orders.push import account_reference

_ASKS_TO_PAY_BY_HAND = re.compile(
    r"\b(?:till|paybill|pay bill|buy goods|lipa na m-?pesa|pay manually|manual payment"
    r"|lipa mwenyewe|nilipe mwenyewe)\b",
    re.IGNORECASE,
)
# State extra: "pay by Till" was asked before the address; the address then gets the Till.
_CHOSE_TILL = "pay_by_till"
# Readings that keep that choice: the address is still being asked for.
_KEEP_CHOICE = frozenset({"ask_address", "ask_again"})
_REPLIES: dict[Verdict, str] = {
    Verdict.PAID: "code_paid",
    Verdict.PART_PAID: "code_part_paid",
    Verdict.ALREADY_COUNTED: "code_already_counted",
    Verdict.CHECKING: "code_checking",
    Verdict.OWNER_CONFIRMS: "code_owner_confirms",
    Verdict.NO_ORDER: "code_no_order",
    Verdict.TOO_MANY: "code_too_many",
    Verdict.REUSED: "code_reused",
    Verdict.OTHER_SHORTCODE: "code_not_ours",
    Verdict.AMOUNT_MISMATCH: "code_not_matching",
    Verdict.NOT_FOUND: "code_not_found",
}


def reroute(
    routed: Routed, text: str, business: dict[str, Any], state: ConversationState
) -> Routed:
    """A pasted code, a request for the Till/Paybill while there is something to pay for
    (otherwise "what's your till number?" is a shop question), or the address asked for after
    "pay by Till", whatever the classifier read. Any other request forgets that choice."""
    has_something_to_pay = bool(
        state.current_cart().items or state.order_id or layaway_words.plan_order(state)
    )
    if read_pasted_payment(text) is not None:
        intent = "paste_code"
    elif (
        has_something_to_pay
        and _ASKS_TO_PAY_BY_HAND.search(text)
        and code_claims.shop_shortcodes(business.get("settings") or {})
    ):
        intent = "pay_manually"
    elif routed.intent == "delivery_address" and _chose_till(state):
        intent = "till_address"
    else:
        if routed.intent not in _KEEP_CHOICE:
            forget_till_choice(state)
        return routed
    reading = replace(routed.classification, decisive=True, alternatives=())
    return Routed(intent, reading, text)


def is_pasted_sms(text: str) -> bool:
    """A whole M-Pesa confirmation SMS: Safaricom's words, not the customer's own language."""
    pasted = read_pasted_payment(text)
    return pasted is not None and pasted.is_sms


def _chose_till(state: ConversationState) -> bool:
    return bool((state.model_extra or {}).get(_CHOSE_TILL))


def forget_till_choice(state: ConversationState) -> None:
    """A tap ("Pay with M-Pesa") or another request: the next address gets the usual prompt."""
    if state.model_extra is not None:
        state.model_extra.pop(_CHOSE_TILL, None)


def till_address(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """The address asked for after "pay by Till": the order is made for the Till, no prompt."""
    forget_till_choice(deps.state)
    deps.state.delivery = checkout_flow.place_delivery(deps, turn)
    deps.state.awaiting = None
    pending = checkout_flow.pending_fee_reply(deps, turn, facts)  # the shop sets the fee first
    return pending or pay_manually(deps, turn, facts)


def ways_to_pay(settings: dict[str, Any], reference: str, language: str) -> str:
    """The shop's Till and/or Paybill, the order's reference as the Paybill account."""
    shop = settings.get("shop") or {}
    ways = []
    if shop.get("till"):
        ways.append(say("till_how", language, till=shop["till"]))
    if shop.get("paybill"):
        account = shop.get("paybill_account") or reference
        ways.append(say("paybill_how", language, paybill=shop["paybill"], account=account))
    return "\n".join(ways)


def pay_manually(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    settings = deps.business.get("settings") or {}
    if not code_claims.shop_shortcodes(settings):
        return shop_flow.payment_methods(deps, turn, facts)
    order = store.pending_order(deps.conn, deps.conversation_id)
    plan = None if order is not None else layaway.running_plan(deps.conn, deps.conversation_id)
    if order is not None:
        manual_pay.keep_open(deps.conn, str(order["id"]))
    elif plan is not None:
        order = plan  # an instalment by Till: any amount up to the balance
    else:
        opened = _open_order(deps, turn, facts)
        if opened is None:
            return facts
        order = opened
    order_id = str(order["id"])
    total = Decimal(order["amount"])
    balance = max(total - ledger.received(deps.conn, order_id), Decimal(0))
    deps.state.order_id = order_id
    reference = account_reference(order_id)
    facts.allow(total, balance)
    facts.draft = say(
        "till_instructions",
        turn.language,
        reference=reference,
        amount=kes(balance),
        ways=ways_to_pay(settings, reference, turn.language),
    )
    return facts


def _open_order(deps: TurnDeps, turn: Turn, facts: Facts) -> dict[str, Any] | None:
    """The order to pay: the failed one reopened, or one made from the cart; None when the
    reply is already written (nothing to pay, an address to ask for, sold out)."""
    conn, state = deps.conn, deps.state
    key = turn.message_ids[0]
    latest = store.latest_order(conn, deps.conversation_id)
    cart = get_cart(deps)
    try:
        with conn.transaction():  # a sold-out item undoes the whole order
            if latest is not None and latest["status"] == "failed" and not latest["flagged"]:
                if str(latest["id"]) == state.order_id or not cart.items:
                    if manual_pay.reopen(conn, latest, key):
                        return store.pending_order(conn, deps.conversation_id)
            if not cart.items:
                facts.draft = say("till_nothing_to_pay", turn.language)
                return None
            delivery = state.delivery
            if delivery is None:
                state.awaiting = "delivery_address"
                if state.model_extra is not None:  # the address is answered with the Till
                    state.model_extra[_CHOSE_TILL] = True
                facts.allow(cart.total)
                facts.draft = (
                    cart_lines(cart, turn.language) + "\n" + say("ask_address", turn.language)
                )
                return None
            order_id, _ = manual_pay.open_order(
                conn,
                business=deps.business,
                conversation_id=deps.conversation_id,
                customer_phone=deps.customer_phone,
                lines=[CartLine(i.product_id, i.quantity, i.size, i.color) for i in cart.items],
                delivery=delivery.as_details(),
                key=key,
            )
    except reservations.SoldOut as exc:
        facts.draft = say("sold_out", turn.language, items=", ".join(exc.names))
        return None
    state.last_delivery, state.delivery = delivery, None
    return store.lock_order(conn, order_id)


def paste_code(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    pasted = read_pasted_payment(turn.text)
    assert pasted is not None, "paste_code is routed only for a pasted code"
    decided = _claim(deps, pasted, turn.message_ids[0])
    facts.allow(decided.received, decided.total, decided.balance)
    facts.draft = say(
        _REPLIES[decided.verdict],
        turn.language,
        receipt=pasted.receipt,
        amount=kes(decided.received),
        received=kes(decided.received),
        total=kes(decided.total),
        balance=kes(decided.balance),
    )
    if decided.verdict in code_claims.OWNER_REASONS:  # refused, or only the owner can check
        flag_for_owner(deps.state, "payment_check")
    alert = code_checks.owner_message(deps.business, deps.customer_phone, decided)
    if alert is not None:
        facts.extra_messages.append(alert)
    return facts


def _claim(deps: TurnDeps, pasted: PastedPayment, key: str) -> Decided:
    """Decide the code now from the ledger, or start M-Pesa's check; the claim is recorded."""
    conn, receipt = deps.conn, pasted.receipt
    if code_claims.too_many_refused(conn, deps.customer_phone):
        return Decided(Verdict.TOO_MANY, receipt)
    settings = deps.business.get("settings") or {}
    pending = (
        store.pending_order(conn, deps.conversation_id)
        or layaway.running_plan(conn, deps.conversation_id)
        or _reopened(deps, pasted, key)
    )
    # FOR NO KEY UPDATE, not store.lock_order's FOR UPDATE: start_check writes the claim
    # (which references this order) on another connection while this turn holds the lock.
    order = None
    if pending is not None:
        order = conn.execute(
            "SELECT * FROM orders WHERE id = %s FOR NO KEY UPDATE", (pending["id"],)
        ).fetchone()
    decided = _decide_now(deps, pasted, order, settings)
    if decided is None:  # unseen: M-Pesa is asked, on a connection of its own
        assert order is not None
        verdict = code_checks.start_check(
            deps.business, deps.conversation_id, deps.customer_phone, str(order["id"]), pasted
        )
        return Decided(verdict, receipt, str(order["id"]), total=Decimal(order["amount"]))
    claim_id = code_claims.open_claim(
        conn,
        business_id=deps.business_id,
        conversation_id=deps.conversation_id,
        order_id=decided.order_id,
        customer_phone=deps.customer_phone,
        pasted=pasted,
    )
    code_claims.close_claim(conn, claim_id, decided.verdict)
    return decided


def _reopened(deps: TurnDeps, pasted: PastedPayment, key: str) -> dict[str, Any] | None:
    """No open order: the one whose prompt failed or expired lately, open again for the code,
    unless the code already counts for an order (reused, or already counted: decided below)."""
    counted = ledger.receipt_order(deps.conn, pasted.receipt)
    if counted is not None and counted["order_id"] is not None:
        return None
    order_id = manual_pay.reopen_for_code(deps.business_id, deps.conversation_id, f"code:{key}")
    if order_id is None:
        return None
    deps.state.order_id = order_id
    return store.pending_order(deps.conn, deps.conversation_id)


def _decide_now(
    deps: TurnDeps,
    pasted: PastedPayment,
    order: dict[str, Any] | None,
    settings: dict[str, Any],
) -> Decided | None:
    receipt = pasted.receipt
    if order is None:
        counted = ledger.receipt_order(deps.conn, receipt)
        latest = store.latest_order(deps.conn, deps.conversation_id)
        if counted is not None and counted["order_id"] is not None:
            mine = latest is not None and str(latest["id"]) == str(counted["order_id"])
            return Decided(Verdict.ALREADY_COUNTED if mine else Verdict.REUSED, receipt)
        return Decided(Verdict.NO_ORDER, receipt)
    shortcodes = code_claims.shop_shortcodes(settings)
    known = code_claims.decide_with_ledger(deps.conn, order, pasted, shortcodes)
    if known is not None:
        return known
    if gateway_name(settings) != "daraja" or not shortcodes:
        # PayLink or no gateway: nothing can check the code; the owner confirms it by hand.
        return Decided(Verdict.OWNER_CONFIRMS, receipt, str(order["id"]))
    return None
