"""From a message to the intent a turn handles, in the light of what the agent asked last.

The classifier is told what the agent is waiting for (an address, a yes to "checkout?", a
size), so "ndio" or "M" mean something. A message with a clear request of its own still wins:
"yes, do you have it in red?" is a search, not a yes to checkout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from duka.orchestrator.intents import Classification, ClassifierContext, classify
from duka.orchestrator.state import ConversationState

# Intents that answer what the agent is waiting for; any other intent drops the wait.
AWAITED: dict[str, set[str]] = {
    "checkout_confirmation": {"checkout"},
    "delivery_address": {"delivery_address", "ask_address", "checkout"},
    "payment_phone": {"payment_phone", "checkout"},
    "payer_confirmation": {"payer_answer", "payment_phone", "checkout"},
    "size": {"add_to_cart"},
}
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Routed:
    intent: str
    classification: Classification


def _looks_like_address(neutral: Classification, text: str) -> bool:
    entities = neutral.entities
    return bool(entities.address or entities.delivery_area or _DIGIT.search(text))


def route_message(text: str, has_media: bool, state: ConversationState) -> Routed:
    awaiting = state.awaiting
    context = ClassifierContext(
        awaiting=awaiting,
        has_cart=bool(state.current_cart().items),
        has_shown_items=bool(state.shown),
    )
    contextual = classify(text, has_media=has_media, context=context)
    intent = contextual.intent.value
    if not awaiting:
        return Routed(intent, contextual)
    neutral = classify(text, has_media=has_media, context=replace(context, awaiting=None))
    if neutral.intent.value not in ("other", intent):
        intent = neutral.intent.value  # the message asks for something of its own
    elif intent == "delivery_address" and not _looks_like_address(neutral, text):
        intent = "ask_address"  # "wait", "what's the delivery fee?": ask again
    if awaiting == "size" and contextual.entities.sizes and intent in ("other", "product_search"):
        intent = "add_to_cart"
    if awaiting == "payment_phone" and contextual.entities.phone:
        intent = "payment_phone"
    if awaiting == "payer_confirmation" and intent in ("other", "checkout"):
        # "yes", "yes proceed", "hapana", "hmm?": an answer to "send the prompt to
        # 0712 *** 678?"; a message with a number names another payer (asked about in turn).
        intent = "payment_phone" if contextual.entities.phone else "payer_answer"
    return Routed(intent, contextual)


def clear_stale_wait(state: ConversationState, intent: str) -> None:
    awaiting = state.awaiting
    if awaiting and intent not in AWAITED.get(awaiting, set()):
        state.awaiting = None
    if intent != "add_to_cart":
        state.pending_add = None
