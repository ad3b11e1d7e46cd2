"""Deterministic handlers for checkout, delivery, payment and order status, and handover."""

from __future__ import annotations

from decimal import Decimal

from duka.orchestrator import payer_confirmation as payer
from duka.orchestrator.cart import Cart
from duka.orchestrator.context import ToolContext
from duka.orchestrator.facts import Facts
from duka.orchestrator.shopping import Turn
from duka.orchestrator.templates import PAYMENT_WORDS, cart_lines, kes, lang_key, say
from duka.orchestrator.tools import call_tool
from duka.phone import InvalidPhoneNumber, normalize_kenyan_phone


def _local_format(e164: str) -> str:
    return "0" + e164.removeprefix("+254") if e164.startswith("+254") else e164


def checkout(
    ctx: ToolContext, turn: Turn, facts: Facts, *, confirmed_payer: str | None = None
) -> Facts:
    """Order and prompt; another number than the customer's own is prompted only once the
    customer confirmed it (`confirmed_payer`, from `payer_answer`), else the agent asks."""
    from duka.orders.checkout import CheckoutStatus, is_own_number

    cart = call_tool(ctx, "get_cart")
    if not cart.items:
        facts.draft = say("cart_empty", turn.language)
        return facts
    if turn.entities.phone:
        ctx.metadata["pay_phone"] = turn.entities.phone
    if not ctx.metadata.get("delivery"):
        ctx.metadata["awaiting"] = "delivery_address"
        facts.allow(cart.total)
        facts.draft = cart_lines(cart, turn.language) + "\n" + say("ask_address", turn.language)
        return facts
    pay_phone = ctx.metadata.get("pay_phone")
    try:
        if pay_phone:
            normalize_kenyan_phone(pay_phone)
    except InvalidPhoneNumber:
        ctx.metadata.pop("pay_phone", None)
        facts.draft = say("invalid_phone", turn.language)
        return facts
    if (
        pay_phone
        and pay_phone != confirmed_payer
        and not is_own_number(pay_phone, ctx.customer_phone)
    ):
        return _ask_payer(ctx, turn, facts, pay_phone)
    payer.forget(ctx.metadata)
    result = call_tool(
        ctx, "initiate_mpesa_stk", idempotency_key=turn.message_ids[0], pay_phone=pay_phone
    )
    fee = int(ctx.metadata["delivery"].get("fee_kes", 0))
    status = CheckoutStatus(result.status)
    if status in (CheckoutStatus.STK_SENT, CheckoutStatus.ALREADY_PENDING):
        ctx.metadata.pop("awaiting", None)
        ctx.metadata["order_id"] = result.order_id
        # The next order asks for its address again rather than reusing this one silently.
        ctx.metadata["last_delivery"] = ctx.metadata.pop("delivery")
        facts.allow(result.amount_kes, fee)
        key = "stk_sent" if status is CheckoutStatus.STK_SENT else "already_pending"
        facts.draft = say(
            key,
            turn.language,
            total=kes(result.amount_kes),
            fee=kes(fee),
            phone=_local_format(pay_phone or ctx.customer_phone),
        )
    elif status is CheckoutStatus.SOLD_OUT:
        remaining = Cart([i for i in cart.items if i.name not in result.sold_out])
        ctx.metadata["cart"] = remaining.to_metadata()
        facts.allow(remaining.total)
        facts.draft = (
            say("sold_out", turn.language, items=", ".join(result.sold_out))
            + "\n"
            + cart_lines(remaining, turn.language)
        )
    elif status is CheckoutStatus.INVALID_PHONE:
        ctx.metadata.pop("pay_phone", None)
        ctx.metadata["awaiting"] = "payment_phone"
        facts.draft = say("invalid_phone", turn.language)
    elif status is CheckoutStatus.EMPTY_CART:
        facts.draft = say("cart_empty", turn.language)
    elif status is CheckoutStatus.PAYER_LIMIT:
        _refuse_payer(ctx, turn, facts)
    elif status is CheckoutStatus.TOO_MANY_PUSHES:
        facts.draft = say("too_many_pushes", turn.language)
    elif status is CheckoutStatus.OUTCOME_UNKNOWN:
        facts.draft = say("outcome_unknown", turn.language)
    else:
        facts.draft = say("gateway_down", turn.language)
    return facts


def _ask_payer(ctx: ToolContext, turn: Turn, facts: Facts, pay_phone: str) -> Facts:
    """Ask before prompting another number, unless today's caps already rule it out."""
    from duka.ratelimit import other_payer_allowed

    if not other_payer_allowed(ctx.conn, ctx.business_id, ctx.customer_phone, pay_phone):
        return _refuse_payer(ctx, turn, facts)
    payer.ask(ctx.metadata, pay_phone)
    facts.draft = say("confirm_payer", turn.language, phone=payer.masked(pay_phone))
    return facts


def _refuse_payer(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    ctx.metadata.pop("pay_phone", None)
    payer.forget(ctx.metadata)
    facts.draft = say("payer_limit", turn.language)
    return facts


def payer_answer(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    """The customer's answer to "send the M-Pesa prompt to 0712 *** 678?"."""
    yes, no = turn.entities.yes, turn.entities.no
    if no and not yes:
        ctx.metadata.pop("pay_phone", None)
        payer.forget(ctx.metadata)
        ctx.metadata["awaiting"] = "payment_phone"
        facts.draft = say("payer_declined", turn.language)
        return facts
    confirmed = payer.take_confirmed(ctx.metadata) if yes and not no else None
    # Without a clear yes to the question as it stands, checkout asks again; nothing is sent.
    return checkout(ctx, turn, facts, confirmed_payer=confirmed)


def delivery_address(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    from duka.orders.checkout import delivery_fee

    address = turn.entities.address or turn.text.strip()
    area = turn.entities.delivery_area
    fee = delivery_fee(ctx.business.get("settings") or {}, area)
    ctx.metadata["delivery"] = {"address": address, "area": area, "fee_kes": fee}
    ctx.metadata.pop("awaiting", None)
    return checkout(ctx, turn, facts)


def ask_address(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    ctx.metadata["awaiting"] = "delivery_address"
    facts.draft = say("ask_address", turn.language)
    return facts


def unsupported_media(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    facts.draft = say("media_unsupported", turn.language)
    return facts


def payment_phone(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    if turn.entities.phone:
        ctx.metadata["pay_phone"] = turn.entities.phone
        return checkout(ctx, turn, facts)
    facts.draft = say("invalid_phone", turn.language)
    return facts


def order_status(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    order = call_tool(ctx, "check_payment_status")
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


def handover(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    from duka.store.conversations import set_status

    set_status(ctx.conn, ctx.conversation_id, "handed_over")
    ctx.metadata["needs_attention"] = True
    owner = ctx.business.get("phone")
    if owner and owner != ctx.business.get("whatsapp_number"):
        facts.extra_messages.append(
            {
                "to": owner,
                "role": "system",
                "text": say("owner_alert", "en", phone=ctx.customer_phone, text=turn.text[:200]),
            }
        )
    facts.draft = say("handover", turn.language)
    return facts


def greeting(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    name = ctx.conversation.get("customer_name")
    facts.use_llm = True
    if ctx.agent.get("greeting"):  # the owner's own words come first
        facts.draft = str(ctx.agent["greeting"])
        return facts
    facts.draft = say(
        "greeting", turn.language, name=f" {name}" if name else "", shop=ctx.business["name"]
    )
    facts.use_llm = True
    return facts


def thanks(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    facts.draft = say("thanks", turn.language, shop=ctx.business["name"])
    if ctx.agent.get("sign_off"):
        facts.draft += "\n" + str(ctx.agent["sign_off"])
    return facts


def other(ctx: ToolContext, turn: Turn, facts: Facts) -> Facts:
    facts.draft = say("other", turn.language)
    facts.use_llm = True
    return facts
