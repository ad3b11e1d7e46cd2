"""Deterministic handlers for checkout, delivery, payment and order status, and handover."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from duka.delivery import quotes
from duka.delivery.pickup_points import has_points
from duka.delivery.zones import area_named_in, zone_for
from duka.orchestrator import customer_memory
from duka.orchestrator import payer_confirmation as payer
from duka.orchestrator.cart_model import Cart
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts
from duka.orchestrator.interactive import (
    Interactive,
    address_buttons,
    greeting_buttons,
    payment_failed_buttons,
)
from duka.orchestrator.shopping import Turn
from duka.orchestrator.state import Delivery
from duka.orchestrator.templates import PAYMENT_WORDS, cart_lines, kes, lang_key, say
from duka.orchestrator.tools.cart import get_cart
from duka.orchestrator.tools.payments import check_payment_status, initiate_mpesa_stk
from duka.orders import store
from duka.orders.checkout import CheckoutStatus, delivery_fee, is_own_number
from duka.orders.resend import Verdict, check_open_attempt
from duka.payments.daraja import NAIROBI
from duka.phone import InvalidPhoneNumber, local_format, mask_local, normalize_kenyan_phone
from duka.ratelimit import other_payer_allowed
from duka.store.conversations import set_status
from duka.whatsapp_templates import owner_alert


def checkout(
    deps: TurnDeps, turn: Turn, facts: Facts, *, confirmed_payer: str | None = None
) -> Facts:
    """Order and prompt; another number than the customer's own is prompted only once the
    customer confirmed it (`confirmed_payer`, from `payer_answer`), else the agent asks."""
    cart = get_cart(deps)
    if not cart.items:
        facts.draft = say("cart_empty", turn.language)
        return facts
    on_delivery = store.pending_order(deps.conn, deps.conversation_id)
    if on_delivery is not None and on_delivery["pay_on_delivery"]:  # paid when it arrives
        facts.allow(Decimal(on_delivery["amount"]))
        facts.draft = say("pod_waiting", turn.language, total=kes(on_delivery["amount"]))
        return facts
    if turn.entities.phone:
        deps.state.pay_phone = turn.entities.phone
    delivery = deps.state.delivery
    if delivery is None:
        deps.state.awaiting = "delivery_address"
        facts.allow(cart.total)
        facts.draft = (
            cart_lines(cart, turn.language) + "\n" + _address_question(deps, turn.language)
        )
        facts.interactive = offered_addresses(deps, turn.language)
        return facts
    if not _fee_known(deps, delivery):
        return _fee_pending(deps, turn, facts, delivery, first=False)
    pay_phone = deps.state.pay_phone
    try:
        if pay_phone:
            normalize_kenyan_phone(pay_phone)
    except InvalidPhoneNumber:
        deps.state.pay_phone = None
        facts.draft = say("invalid_phone", turn.language)
        return facts
    if (
        pay_phone
        and pay_phone != confirmed_payer
        and not is_own_number(pay_phone, deps.customer_phone)
    ):
        return _ask_payer(deps, turn, facts, pay_phone)
    payer.forget(deps.state)
    result = initiate_mpesa_stk(deps, idempotency_key=turn.message_ids[0], pay_phone=pay_phone)
    fee = delivery.fee_kes
    status = CheckoutStatus(result.status)
    if status in (CheckoutStatus.STK_SENT, CheckoutStatus.ALREADY_PENDING):
        deps.state.awaiting = None
        deps.state.order_id = result.order_id
        # The next order asks for its address again rather than reusing this one silently.
        deps.state.last_delivery, deps.state.delivery = deps.state.delivery, None
        facts.allow(result.amount_kes, fee)
        key = "stk_sent" if status is CheckoutStatus.STK_SENT else "already_pending"
        facts.draft = say(
            key,
            turn.language,
            total=kes(result.amount_kes),
            fee=kes(fee),
            phone=local_format(pay_phone or deps.customer_phone),
        ) + expected_days(deps, delivery, turn.language)
    elif status is CheckoutStatus.SOLD_OUT:
        remaining = Cart(items=[i for i in cart.items if i.name not in result.sold_out])
        deps.state.cart = remaining
        facts.allow(remaining.total)
        facts.draft = (
            say("sold_out", turn.language, items=", ".join(result.sold_out))
            + "\n"
            + cart_lines(remaining, turn.language)
        )
    elif status is CheckoutStatus.INVALID_PHONE:
        deps.state.pay_phone = None
        deps.state.awaiting = "payment_phone"
        facts.draft = say("invalid_phone", turn.language)
    elif status is CheckoutStatus.EMPTY_CART:
        facts.draft = say("cart_empty", turn.language)
    elif status is CheckoutStatus.PAYER_LIMIT:
        _refuse_payer(deps, turn, facts)
    elif status is CheckoutStatus.TOO_MANY_PUSHES:
        facts.draft = say("too_many_pushes", turn.language)
    elif status is CheckoutStatus.OUTCOME_UNKNOWN:
        facts.draft = say("outcome_unknown", turn.language)
    else:
        facts.draft = say("gateway_down", turn.language)
    return facts


def _ask_payer(deps: TurnDeps, turn: Turn, facts: Facts, pay_phone: str) -> Facts:
    """Ask before prompting another number, unless today's caps already rule it out."""
    if not other_payer_allowed(deps.conn, deps.business_id, deps.customer_phone, pay_phone):
        return _refuse_payer(deps, turn, facts)
    payer.ask(deps.state, pay_phone, deps.clock())
    facts.draft = say("confirm_payer", turn.language, phone=mask_local(pay_phone))
    return facts


def _refuse_payer(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    deps.state.pay_phone = None
    payer.forget(deps.state)
    facts.draft = say("payer_limit", turn.language)
    return facts


def payer_answer(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """The customer's answer to "send the M-Pesa prompt to 0712 *** 678?"."""
    yes, no = turn.entities.yes, turn.entities.no
    if no and not yes:
        deps.state.pay_phone = None
        payer.forget(deps.state)
        deps.state.awaiting = "payment_phone"
        facts.draft = say("payer_declined", turn.language)
        return facts
    confirmed = payer.take_confirmed(deps.state, deps.clock()) if yes and not no else None
    # Without a clear yes to the question as it stands, checkout asks again; nothing is sent.
    return checkout(deps, turn, facts, confirmed_payer=confirmed)


def delivery_address(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    deps.state.delivery = place_delivery(deps, turn)
    deps.state.awaiting = None
    if deps.state.delivery.quote_id:
        return _fee_pending(deps, turn, facts, deps.state.delivery, first=True)
    return checkout(deps, turn, facts)


def place_delivery(deps: TurnDeps, turn: Turn) -> Delivery:
    """Home delivery to the address in the message, priced by the zone covering its area; a
    place no zone covers gets a quote the owner prices (duka/delivery/quotes.py)."""
    address = turn.entities.address or turn.text.strip()
    settings = deps.business.get("settings") or {}
    area = turn.entities.delivery_area
    if zone_for(settings, area) is None:  # an area of the owner's own zones, named in words
        area = area_named_in(settings, turn.text) or area
    fee = delivery_fee(settings, area)
    if fee is not None:
        return Delivery(address=address, area=area, fee_kes=fee)
    quote = quotes.open_quote(
        deps.conn,
        business_id=deps.business_id,
        conversation_id=deps.conversation_id,
        customer_phone=deps.customer_phone,
        address=address,
        area=area,
    )
    return Delivery(address=address, area=area, quote_id=quote)


def expected_days(deps: TurnDeps, delivery: Delivery, language: str) -> str:
    """ "Expected delivery: same day.", from the zone's days, when the owner gave them."""
    if delivery.pickup_point_id or delivery.quote_id:
        return ""
    zone = zone_for(deps.business.get("settings") or {}, delivery.area)
    return "\n" + say("delivery_days", language, days=zone.days) if zone and zone.days else ""


def _fee_known(deps: TurnDeps, delivery: Delivery) -> bool:
    """Whether the order's delivery fee is decided; the state takes the fee when it is."""
    if delivery.quote_id is None:
        return True
    fee = quotes.quote_fee(deps.conn, delivery.quote_id)
    if fee is not None:
        delivery.fee_kes = fee
    return fee is not None


def _fee_pending(
    deps: TurnDeps, turn: Turn, facts: Facts, delivery: Delivery, *, first: bool
) -> Facts:
    """The shop confirms the fee first: the chat goes to the owner, who is alerted once."""
    facts.draft = say(
        "delivery_fee_pending" if first else "delivery_fee_waiting",
        turn.language,
        address=delivery.address,
    )
    if not first:
        return facts
    deps.state.needs_attention = True
    deps.state.attention_reason = "delivery_fee"
    owner = deps.business.get("phone")
    if owner and owner != deps.business.get("whatsapp_number"):
        alert = say("owner_fee_alert", "en", phone=deps.customer_phone, address=delivery.address)
        facts.extra_messages.append(
            {
                "to": owner,
                "role": "system",
                "text": alert,
                "template": owner_alert(alert[:100], deps.customer_phone),
            }
        )
    return facts


def pending_fee_reply(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts | None:
    """For flows that price an order themselves (layaway, Till): the reply while the shop has
    yet to set the fee of `state.delivery`, or None when the fee is known."""
    delivery = deps.state.delivery
    if delivery is None or _fee_known(deps, delivery):
        return None
    return _fee_pending(deps, turn, facts, delivery, first=True)


def ask_address(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    deps.state.awaiting = "delivery_address"
    facts.draft = _address_question(deps, turn.language)
    facts.interactive = offered_addresses(deps, turn.language)
    return facts


def _address_question(deps: TurnDeps, language: str) -> str:
    question = say("ask_address", language)
    if has_points(deps.conn):
        question += " " + say("ask_address_or_point", language)
    return question


def pickup_offered_by(business: dict[str, Any]) -> bool:
    """The owner allows collecting orders at the shop (Settings → shop → pickup)."""
    return bool(((business.get("settings") or {}).get("shop") or {}).get("pickup"))


def offered_addresses(deps: TurnDeps, language: str) -> Interactive | None:
    """Buttons for the address question: the last order's address, the shop's pickup points,
    or pickup at the shop. Typing an address is home delivery."""
    has_last = deps.state.last_delivery is not None
    return address_buttons(
        language,
        has_last=has_last,
        pickup=pickup_offered_by(deps.business),
        points=has_points(deps.conn),
    )


def unsupported_media(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    facts.draft = say("media_unsupported", turn.language)
    return facts


def payment_phone(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    if turn.entities.phone:
        deps.state.pay_phone = turn.entities.phone
        return checkout(deps, turn, facts)
    facts.draft = say("invalid_phone", turn.language)
    return facts


def order_status(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    order = check_payment_status(deps)
    if order is None:
        facts.draft = say("no_order", turn.language)
        return facts
    words = PAYMENT_WORDS[lang_key(turn.language)]
    amount = Decimal(str(order["amount"]))
    facts.allow(amount)
    facts.draft = say(
        "order_status",
        turn.language,
        total=kes(amount),
        payment=words.get(order["status"], order["status"]),
        delivery=words.get(order["fulfillment_status"], order["fulfillment_status"]),
    )
    return facts


# An M-Pesa transaction code: ten letters and digits, at least two of them digits.
_RECEIPT_CODE = re.compile(r"\b(?=[A-Z0-9]{10}\b)(?=(?:[A-Z]*\d){2})[A-Z][A-Z0-9]{9}\b")
_CLOSED = {"failed": "payment_failed", "cancelled": "payment_cancelled"}


def payment_status(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Prompt didn't come", "nimelipa", a pasted M-Pesa SMS: what happened to the payment and
    what to do next. A pasted code is not verified here; the chat is flagged for the owner."""
    code = _RECEIPT_CODE.search(turn.text.upper())
    order = check_payment_status(deps)
    if code and (order is None or order["status"] != "paid"):
        deps.state.needs_attention = True
        deps.state.attention_reason = "payment_check"
        facts.draft = say("receipt_noted", turn.language, code=code.group())
        return facts
    if order is None:
        facts.draft = say("no_payment", turn.language)
        return facts
    amount = Decimal(str(order["amount"]))
    facts.allow(amount)
    status = order["status"]
    if status == "paid":
        receipt = order.get("receipt") or "-"
        facts.draft = say("payment_paid", turn.language, total=kes(amount), receipt=receipt)
    elif status == "pending" and order.get("pay_on_delivery"):  # no prompt: the rider collects
        facts.draft = say("pod_waiting", turn.language, total=kes(amount))
    elif status == "pending" and not order["flagged"]:
        return resend_or_wait(deps, turn, facts, order)
    elif status == "pending":
        facts.draft = say("payment_pending", turn.language, **_prompt_details(deps, order))
    else:
        key = _CLOSED.get(status, "payment_expired")
        facts.draft = say(key, turn.language, total=kes(amount))
        facts.interactive = payment_failed_buttons(str(order["id"]), turn.language)
    return facts


def resend_or_wait(deps: TurnDeps, turn: Turn, facts: Facts, order: dict[str, Any]) -> Facts:
    """The open prompt of `order` (from `check_payment_status`), asked about at the gateway: a
    new prompt at once when it is over, else wait until it times out (`duka.orders.resend`)."""
    check = check_open_attempt(deps.business_id, str(order["id"]), deps.clock())
    if check.verdict is Verdict.RESEND:
        if deps.state.delivery is None:  # the same order, to the address it was going to
            deps.state.delivery = deps.state.last_delivery
        if deps.state.delivery is not None:
            facts = checkout(deps, turn, facts)
            facts.draft = say("prompt_resent", turn.language) + "\n" + facts.draft
            return facts
        facts.draft = say(
            "payment_expired", turn.language, total=_prompt_details(deps, order)["total"]
        )
        facts.interactive = payment_failed_buttons(str(order["id"]), turn.language)
        return facts
    if check.verdict is Verdict.PAID:
        return payment_status(deps, turn, facts)
    details = _prompt_details(deps, order)
    if check.verdict is Verdict.WAIT and check.wait_until is not None:
        until = check.wait_until.astimezone(NAIROBI).strftime("%H:%M")
        facts.draft = say("payment_wait", turn.language, until=until, **details)
    elif check.verdict is Verdict.UNREACHABLE:
        facts.draft = say("payment_check_failed", turn.language)
    else:
        facts.draft = say("payment_pending", turn.language, **details)
    return facts


def _prompt_details(deps: TurnDeps, order: dict[str, Any]) -> dict[str, str]:
    """The order's total, and when and to which number its current prompt went."""
    return {
        "total": kes(Decimal(str(order["amount"]))),
        "time": order["prompt_sent_at"].astimezone(NAIROBI).strftime("%H:%M"),
        "phone": mask_local(order.get("prompt_phone") or deps.customer_phone),
    }


def handover(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    set_status(deps.conn, deps.conversation_id, "handed_over")
    deps.state.needs_attention = True
    deps.state.attention_reason = "talk_to_person"
    owner = deps.business.get("phone")
    if owner and owner != deps.business.get("whatsapp_number"):
        facts.extra_messages.append(
            {
                "to": owner,
                "role": "system",
                "text": say("owner_alert", "en", phone=deps.customer_phone, text=turn.text[:200]),
                "template": owner_alert(say("owner_alert_reason", "en"), deps.customer_phone),
            }
        )
    facts.draft = say("handover", turn.language)
    return facts


def greeting(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    name = deps.conversation.get("customer_name")
    facts.use_llm = True
    returning = customer_memory.has_paid_order(deps)  # "Same as last time" first
    facts.interactive = greeting_buttons(turn.language, repeat=returning)
    if deps.agent.get("greeting"):  # the owner's own words come first
        facts.draft = str(deps.agent["greeting"])
        return facts
    facts.draft = say(
        "greeting", turn.language, name=f" {name}" if name else "", shop=deps.business["name"]
    )
    facts.use_llm = True
    return facts


def thanks(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    facts.draft = say("thanks", turn.language, shop=deps.business["name"])
    if deps.agent.get("sign_off"):
        facts.draft += "\n" + str(deps.agent["sign_off"])
    return facts


def other(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    facts.draft = say("other", turn.language)
    facts.use_llm = True
    return facts
