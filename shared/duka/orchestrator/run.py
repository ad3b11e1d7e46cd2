"""One turn of the sales conversation: classify → context → tools → ≤1 model call → reply.

Every unanswered customer message of the conversation is answered together (burst coalescing);
the caller holds the conversation's row lock and stores the result in the same transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from duka.db.pool import Connection
from duka.llm import ReplyModel, get_gemini_client
from duka.logs import log
from duka.orchestrator import checkout_flow as flow
from duka.orchestrator import (
    confirmation,
    layaway_flow,
    owner_questions,
    pickup_flow,
    pod_flow,
    privacy_flow,
    privacy_words,
    product_answers,
    repeat_order,
    restock_flow,
    restock_words,
    shop_flow,
    shopping,
    tap_flow,
    till_flow,
    voice,
)
from duka.orchestrator.compose import compose
from duka.orchestrator.deps import TurnDeps, utc_now
from duka.orchestrator.facts import Facts
from duka.orchestrator.intents import Classification
from duka.orchestrator.interactive import Interactive
from duka.orchestrator.language import spoken_language
from duka.orchestrator.model_decision import Decided, decide, should_decide
from duka.orchestrator.routing import Routed, clear_stale_wait, route_message
from duka.orchestrator.shopping import Turn
from duka.orchestrator.state import ConversationState
from duka.orchestrator.taps import route_tap, tap_of
from duka.orchestrator.templates import say
from duka.orchestrator.tools.customers import get_customer_profile, update_customer_profile
from duka.orchestrator.tools.memory import get_conversation_summary, search_memories
from duka.orchestrator.tools.registry import ToolInputInvalid
from duka.store import conversations

logger = logging.getLogger(__name__)

Handler = Callable[[TurnDeps, Turn, Facts], Facts]

HANDLERS: dict[str, Handler] = {
    "greeting": flow.greeting,
    "product_search": product_answers.search,
    "image_search": shopping.photo_search,
    "product_question": product_answers.question,
    "add_to_cart": shopping.add,
    "remove_from_cart": partial(shopping.change_cart, set_quantity=False),
    "change_quantity": partial(shopping.change_cart, set_quantity=True),
    "view_cart": shopping.view_cart,
    "clear_cart": shopping.clear,
    "checkout": flow.checkout,
    "delivery_address": flow.delivery_address,
    "payment_status": flow.payment_status,
    "order_status": flow.order_status,
    "talk_to_person": flow.handover,
    "complaint": shop_flow.complaint,
    "shop_question": shop_flow.shop_question,
    "thanks_goodbye": flow.thanks,
    "other": flow.other,
    "payment_phone": flow.payment_phone,
    "payer_answer": flow.payer_answer,
    "ask_address": flow.ask_address,
    "unsupported_media": flow.unsupported_media,
    "voice_note": voice.ask_to_type,
    "confirm_action": confirmation.ask,
    "ask_again": confirmation.ask_again,
    "declined": confirmation.declined,
    "action_expired": confirmation.expired_action,
    "layaway_start": layaway_flow.start,
    "layaway_address": layaway_flow.address,
    "layaway_balance": layaway_flow.balance,
    "layaway_pay": layaway_flow.pay,
    # Reached only by a tap on a button or list row (taps.py).
    "browse": tap_flow.browse,
    "edit_cart": tap_flow.edit_cart,
    "retry_payment": tap_flow.retry_payment,
    "same_address": tap_flow.same_address,
    "pickup": tap_flow.pickup,
    # The shop's pickup points: the list, its next page, a point chosen (pickup_flow.py).
    "pickup_points": pickup_flow.show_points,
    "pickup_more": pickup_flow.more_points,
    "pickup_point": pickup_flow.choose_point,
    "other_ways_to_pay": tap_flow.other_ways_to_pay,
    "tap_stale": tap_flow.stale,
    # A pasted M-Pesa code or SMS, or a request for the Till/Paybill (till_flow.reroute).
    "paste_code": till_flow.paste_code,
    "pay_manually": till_flow.pay_manually,
    "till_address": till_flow.till_address,
    # Pay on delivery, where the owner's zone allows it (pod_flow.reroute).
    "pay_on_delivery": pod_flow.pay_on_delivery,
    "pod_address": pod_flow.pod_address,
    # Back-in-stock: the offer's yes/no or button, the alert's "Buy now" (restock_words.py).
    "restock_subscribe": restock_flow.subscribe,
    "restock_declined": restock_flow.declined,
    "restock_buy": restock_flow.buy,
    # "Same as last time": the greeting's button or typed (repeat_order.py).
    "repeat_order": repeat_order.repeat,
    # Her data: a copy, or its deletion after her yes (privacy_words.py).
    privacy_words.EXPORT: privacy_flow.export,
    privacy_words.DELETE: privacy_flow.ask_delete,
    privacy_words.CONFIRMED: privacy_flow.delete_confirmed,
    privacy_words.KEPT: privacy_flow.delete_kept,
}


# Unsure readings the owner's own question/answer pairs are checked against (one query).
_MAY_BE_A_SAVED_QUESTION = frozenset({"other", "product_search", "product_question"})


@dataclass
class TurnResult:
    text: str
    media_urls: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    extra_messages: list[dict[str, Any]] = field(default_factory=list)
    interactive: Interactive | None = None  # the reply's choices as a list or buttons


def is_photo(attachment: dict[str, Any]) -> bool:
    content_type = str(attachment.get("content_type") or "")
    return not content_type or content_type.startswith("image/")


def reply_language(customer: str, shop_languages: list[str] | None) -> str:
    """Follow the customer, within the languages the owner chose for the shop."""
    if not shop_languages:
        return customer
    swahili_ok = bool({"sw", "sheng"} & set(shop_languages))
    if customer != "en" and not swahili_ok:
        return "en"
    if customer == "en" and "en" not in shop_languages:
        return "sw"
    return customer


def written_names(state: ConversationState, classification: Classification) -> list[str]:
    """Names a message may contain that tell nothing about its language: the products shown
    or in the cart, and the address it gives."""
    names = [p.name for p in state.shown_items()] + [i.name for i in state.current_cart().items]
    return [*names, classification.entities.address or ""]


def run_turn(
    conn: Connection,
    business: dict[str, Any],
    conversation: dict[str, Any],
    inbound: list[dict[str, Any]],
    *,
    model: ReplyModel | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> TurnResult:
    """Answer `inbound` (the caller holds the conversation's row lock); the state is loaded
    from the row once here and saved once at the end. `model` defaults to Gemini."""
    started = time.perf_counter()
    state = ConversationState.load(conversation)
    model = model or get_gemini_client()
    heard = voice.hear(conn, model, inbound)  # online, a voice note's words join the text
    text = "\n".join([*(m["content"] for m in inbound if m["content"]), heard.text]).strip()
    attachments = [
        a
        for m in inbound
        for a in (m["attachments"] or [])
        if a.get("url") and not voice.is_voice_note(a)
    ]
    photos = [a["url"] for a in attachments if is_photo(a)]
    tap = tap_of(inbound)
    if tap is not None:  # a button or list row: its payload decides, checked against the state
        pickup = flow.pickup_offered_by(business)
        routed = route_tap(conn, str(conversation["id"]), state, tap, pickup_offered=pickup)
        till_flow.forget_till_choice(state)  # "Pay with M-Pesa" tapped: the prompt, not the Till
        pod_flow.forget_choice(state)
        privacy_tap = privacy_words.tap_route(str(tap["payload"]), state)  # "Yes, delete"
        if privacy_tap is not None:
            routed = Routed(privacy_tap[0], privacy_tap[1], routed.text)
    else:
        restock = restock_words.route(text, bool(photos), state)  # "ndio" to "tell you?"
        routed = (
            Routed(restock[0], restock[1], text)
            if restock
            else route_message(text, bool(photos), state, now=clock())
        )
        # A pasted M-Pesa code or SMS, or "nipe till number": our own matcher, not the model.
        routed = till_flow.reroute(routed, text, business, state)
        routed = pod_flow.reroute(routed, text, business, state)  # "nitalipa nikipokea"
    classification = routed.classification
    # A tap's title, or a pasted M-Pesa SMS (Safaricom's words), is not her own: the
    # conversation keeps its language.
    own_words = not tap and not (routed.intent == "paste_code" and till_flow.is_pasted_sms(text))
    spoken = spoken_language(text, written_names(state, classification)) if own_words else None
    state.language = reply_language(
        spoken.value if spoken else state.language or "en",
        (business.get("settings") or {}).get("agent", {}).get("languages"),
    )
    deps = TurnDeps(conn, business, conversation, state, model, clock=clock)
    first_reply = privacy_flow.is_first_reply(deps)  # it links the privacy notice
    language = deps.language
    turn = Turn(
        text=routed.text,
        media_urls=photos,
        message_ids=[str(m["id"]) for m in inbound],
        entities=classification.entities,
        language=language,
        profile=get_customer_profile(deps),
    )
    if classification.entities.sizes:
        update_customer_profile(deps, preferred_size=classification.entities.sizes[0])
    intent = routed.intent
    if attachments and not photos and not text:
        intent = "unsupported_media"
    if heard.failure and not text:
        intent = "voice_note"
    if intent in _MAY_BE_A_SAVED_QUESTION and not classification.decisive and text:
        if owner_questions.saved_answer(deps, text, language) is not None:
            intent = "shop_question"  # "do you sell gift cards?": the owner has answered it
    decided = Decided()
    if not heard.llm_calls and not photos and text and should_decide(deps, intent, classification):
        decided = decide(deps, turn, intent, classification)  # the turn's one model call
        if decided.intent is not None and decided.turn is not None:
            intent, turn = decided.intent, decided.turn
    guessed = confirmation.is_guess(intent, classification.decisive)
    if decided.intent is None and guessed and confirmation.can_carry_out(deps, turn, intent):
        alternatives = [a.value for a in classification.alternatives]
        confirmation.hold(state, intent, alternatives, routed.text, clock())
        intent = "confirm_action"  # never act on a guess: ask first
    clear_stale_wait(state, intent)
    context_ms = (time.perf_counter() - started) * 1000
    facts = Facts(intent=intent, language=language, draft="")
    try:
        facts = HANDLERS[intent](deps, turn, facts)
    except ToolInputInvalid as exc:  # e.g. a product shown earlier was archived since
        log(
            logger,
            logging.WARNING,
            "tool input refused; asking again",
            error=str(exc),
            business_id=deps.business_id,
            conversation_id=deps.conversation_id,
        )
        facts.draft, facts.use_llm = say("unavailable", language), False
    if heard.llm_calls or decided.llm_calls:  # that was the turn's one model call
        facts.tool_llm_calls += heard.llm_calls + decided.llm_calls
        facts.use_llm = False
    tools_ms = (time.perf_counter() - started) * 1000 - context_ms
    history = get_conversation_summary(deps, limit=8) if facts.use_llm else []
    memories = search_memories(deps, query=text, limit=3) if facts.use_llm and text else []
    composed = compose(deps, turn, facts, history, memories)
    composed.text = privacy_flow.with_notice_link(deps, composed.text, first_reply)
    conversations.save_metadata(conn, deps.conversation_id, deps.state.to_metadata())
    record = {
        **composed.record,
        **heard.record,
        **decided.record,
        "intent": intent,
        "language": language,
        "classifier_confidence": classification.confidence,
        "context_ms": round(context_ms, 1),
        "tools_ms": round(tools_ms, 1),
        "turn_ms": round((time.perf_counter() - started) * 1000, 1),
        "answered": len(inbound),
        "shown": [p.id for p in facts.products],
        "cart_lines": len(deps.state.current_cart().items),  # the funnel's "cart" step
        **({"tapped": tap["payload"]} if tap else {}),
    }
    log(
        logger,
        logging.INFO,
        "turn answered",
        business_id=deps.business_id,
        conversation_id=deps.conversation_id,
        stage="orchestrator",
        **record,
    )
    return TurnResult(
        composed.text, facts.media_urls, record, facts.extra_messages, facts.interactive
    )
