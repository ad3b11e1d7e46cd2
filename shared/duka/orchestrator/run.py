"""One turn of the sales conversation: classify → context → tools → ≤1 model call → reply.

Every unanswered customer message of the conversation is answered together (burst coalescing);
the caller holds the conversation's row lock and stores the result in the same transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from duka.db.pool import Connection
from duka.logs import log
from duka.orchestrator import checkout_flow as flow
from duka.orchestrator import shopping
from duka.orchestrator.cart import Cart
from duka.orchestrator.compose import compose
from duka.orchestrator.context import ToolContext
from duka.orchestrator.facts import Facts
from duka.orchestrator.intents import ClassifierContext, classify
from duka.orchestrator.shopping import Turn
from duka.orchestrator.tools import call_tool
from duka.store import conversations
from duka.store.messages import recent_messages

logger = logging.getLogger(__name__)

Handler = Callable[[ToolContext, Turn, Facts], Facts]

HANDLERS: dict[str, Handler] = {
    "greeting": flow.greeting,
    "product_search": shopping.search,
    "image_search": shopping.photo_search,
    "product_question": shopping.question,
    "add_to_cart": shopping.add,
    "remove_from_cart": partial(shopping.change_cart, set_quantity=False),
    "change_quantity": partial(shopping.change_cart, set_quantity=True),
    "view_cart": shopping.view_cart,
    "clear_cart": shopping.clear,
    "checkout": flow.checkout,
    "delivery_address": flow.delivery_address,
    "payment_status": flow.order_status,
    "order_status": flow.order_status,
    "talk_to_person": flow.handover,
    "thanks_goodbye": flow.thanks,
    "other": flow.other,
    "payment_phone": flow.payment_phone,
}


@dataclass
class TurnResult:
    text: str
    media_urls: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    extra_messages: list[dict[str, Any]] = field(default_factory=list)


def route(intent: str, turn: Turn, awaiting: str | None) -> str:
    """Intent from code, refined by what the agent asked for last."""
    if awaiting == "size" and turn.entities.sizes and intent in ("other", "product_search"):
        return "add_to_cart"
    if awaiting == "payment_phone" and turn.entities.phone:
        return "payment_phone"
    return intent


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


def run_turn(
    conn: Connection,
    business: dict[str, Any],
    conversation: dict[str, Any],
    inbound: list[dict[str, Any]],
) -> TurnResult:
    started = time.perf_counter()
    metadata = dict(conversation.get("metadata") or {})
    text = "\n".join(m["content"] for m in inbound if m["content"]).strip()
    media = [a["url"] for m in inbound for a in (m["attachments"] or []) if a.get("url")]
    awaiting = metadata.get("awaiting")
    classification = classify(
        text,
        has_media=bool(media),
        context=ClassifierContext(
            awaiting=awaiting,
            has_cart=bool(Cart.from_metadata(metadata).items),
            has_shown_items=bool(metadata.get("shown")),
        ),
    )
    language = reply_language(
        classification.language.value if text else metadata.get("language", "en"),
        (business.get("settings") or {}).get("agent", {}).get("languages"),
    )
    metadata["language"] = language
    ctx = ToolContext(conn, business, conversation, language=language, metadata=metadata)
    turn = Turn(
        text=text,
        media_urls=media,
        message_ids=[str(m["id"]) for m in inbound],
        entities=classification.entities,
        language=language,
        profile=call_tool(ctx, "get_customer_profile"),
    )
    if classification.entities.sizes:
        call_tool(ctx, "update_customer_profile", preferred_size=classification.entities.sizes[0])
    intent = route(classification.intent.value, turn, awaiting)
    if intent != "add_to_cart":
        metadata.pop("pending_add", None)
    context_ms = (time.perf_counter() - started) * 1000
    facts = HANDLERS[intent](ctx, turn, Facts(intent=intent, language=language, draft=""))
    tools_ms = (time.perf_counter() - started) * 1000 - context_ms
    history = recent_messages(conn, ctx.conversation_id, 8) if facts.use_llm else []
    memories = (
        call_tool(ctx, "search_memories", query=text, limit=3) if facts.use_llm and text else []
    )
    composed = compose(ctx, turn, facts, history, memories)
    conversations.save_metadata(conn, ctx.conversation_id, metadata)
    record = {
        **composed.record,
        "intent": intent,
        "language": language,
        "classifier_confidence": classification.confidence,
        "context_ms": round(context_ms, 1),
        "tools_ms": round(tools_ms, 1),
        "turn_ms": round((time.perf_counter() - started) * 1000, 1),
        "answered": len(inbound),
        "shown": [p.id for p in facts.products],
    }
    log(
        logger,
        logging.INFO,
        "turn answered",
        business_id=ctx.business_id,
        conversation_id=ctx.conversation_id,
        stage="orchestrator",
        **record,
    )
    return TurnResult(composed.text, facts.media_urls, record, facts.extra_messages)
