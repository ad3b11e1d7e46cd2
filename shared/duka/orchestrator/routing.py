"""From a message to the intent a turn handles, in the light of what the agent asked last.

The classifier is told what the agent is waiting for (an address, a yes to "checkout?", a
size), so "ndio" or "M" mean something. A message with a clear request of its own still wins:
"yes, do you have it in red?" is a search, not a yes to checkout. A message that answers the
agent's own question is a decisive reading, whatever the classifier made of it alone; an unclear
one ("hmm") keeps the wait and the question is asked again, and a "no" lets the wait go.

A guessed action waits for its yes in `state.pending_action` (confirmation.py): the yes is
routed to the held message, read again as the customer wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from duka.orchestrator import (
    confirmation,
    customer_memory,
    layaway_words,
    pickup_words,
    privacy_words,
    repeat_order,
)
from duka.orchestrator.intents import Classification, ClassifierContext, Intent, classify
from duka.orchestrator.product_answers import asks_restock
from duka.orchestrator.state import ConversationState, PendingAction

# Intents that answer what the agent is waiting for; any other intent drops the wait.
AWAITED: dict[str, set[str]] = {
    "checkout_confirmation": {"checkout"},
    "delivery_address": {"delivery_address", "ask_address", "checkout"},
    "payment_phone": {"payment_phone", "checkout"},
    "payer_confirmation": {"payer_answer", "payment_phone", "checkout"},
    "size": {"add_to_cart"},
    pickup_words.AWAITING: set(pickup_words.INTENTS),  # the pickup points list is open
    confirmation.AWAITING: set(),  # its answers are routed to the held action itself
}
# Waits whose unclear answer is asked again ("ask_again") and whose "no" drops them.
_ASKED_AGAIN = frozenset(
    {"checkout_confirmation", "delivery_address", "payment_phone", "size", confirmation.AWAITING}
)
# Intents that leave the wait exactly as it is: its question is being asked.
_KEEPS_WAIT = frozenset({"ask_again", "confirm_action", "tap_stale"})
_FEW_WORDS = 2  # an unsure reading this short is no request of its own while the agent waits
_DIGIT = re.compile(r"\d")
# "38", "ya 38", "in 40": a bare number answering "which size?".
_BARE_SIZE = re.compile(r"^\W*(?:(?:ya|in)\s+)?(\d{1,2})\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class Routed:
    intent: str
    # Its `decisive` is also True when the message answers the agent's own question.
    classification: Classification
    text: str  # what the handler acts on: the held message when a yes confirms it


def _looks_like_address(neutral: Classification, text: str) -> bool:
    entities = neutral.entities
    return bool(entities.address or entities.delivery_area or _DIGIT.search(text))


def _answer_to_action(
    text: str,
    has_media: bool,
    pending: PendingAction,
    context: ClassifierContext,
    now: datetime,
) -> Routed | None:
    """A reply to "Do you want me to …?"; None when the message is a request of its own."""
    reading = classify(text, has_media=has_media, context=context)
    pick = confirmation.chosen(pending, reading.entities, text)
    stale = confirmation.expired(pending, now)
    if pick is not None:
        if stale:
            return Routed("action_expired", reading, text)
        held = classify(pending.text, context=context)
        return Routed(pick, replace(held, decisive=True), pending.text)
    unclear = reading.intent is Intent.OTHER
    if stale:
        return None
    if confirmation.declines(reading.entities) and (unclear or not reading.decisive):
        return Routed("declined", reading, text)
    return Routed("ask_again", reading, text) if unclear else None


def _short_and_unsure(reading: Classification, text: str, awaiting: str) -> bool:
    """ "aje?", "eh?": too short and unsure to be a request; "denim jacket" names what it wants,
    and "nilipe sasa" answers "ready to checkout?"."""
    names_a_product = reading.entities.categories or reading.intent is Intent.PRODUCT_SEARCH
    answers_the_wait = reading.intent.value in AWAITED.get(awaiting, set())
    short = len(text.split()) <= _FEW_WORDS
    return short and not (reading.decisive or names_a_product or answers_the_wait)


def route_message(text: str, has_media: bool, state: ConversationState, *, now: datetime) -> Routed:
    routed = _route(text, has_media, state, now)
    reading = routed.classification
    if reading.decisive or confirmation.possible(routed.intent, state):
        return routed
    # A guess the conversation cannot carry out (remove from an empty cart) is not offered.
    others = [a for a in reading.alternatives if confirmation.possible(a.value, state)]
    intent = others[0].value if others else "other"
    return replace(routed, intent=intent, classification=replace(reading, alternatives=()))


def _route(text: str, has_media: bool, state: ConversationState, now: datetime) -> Routed:
    awaiting = state.awaiting
    context = ClassifierContext(
        awaiting=awaiting,
        has_cart=bool(state.current_cart().items),
        has_shown_items=bool(state.shown),
    )
    privacy = privacy_words.route(text, state)  # "send me my data", "futa data yangu"
    if privacy is not None:
        return Routed(privacy[0], privacy[1], text)
    layaway = layaway_words.route(text, has_media, state, context)  # lipa pole pole
    if layaway is not None:
        return Routed(layaway[0], layaway[1], text)
    # "same as last time" (her last order), or a yes to "in your usual M?" (our own matchers)
    remembered = repeat_order.route(text, has_media, state) or customer_memory.yes_to_usual(
        text, has_media, state
    )
    if remembered is not None:
        return Routed(remembered[0], remembered[1], text)
    picked = pickup_words.route(text, has_media, state)  # "3", "more", "Kilimani"
    if picked is not None:
        return Routed(picked[0], picked[1], text)
    if awaiting == confirmation.AWAITING:
        pending = state.pending_action
        context, awaiting = replace(context, awaiting=None), None
        if pending is not None:
            answered = _answer_to_action(text, has_media, pending, context, now)
            if answered is not None:
                return answered
    contextual = classify(text, has_media=has_media, context=context)
    if state.sold_out is not None and asks_restock(text):
        # "when will it be back?" after "X is sold out" asks about X, never about an order.
        return Routed("product_question", contextual, text)
    if not awaiting:
        return Routed(contextual.intent.value, contextual, text)
    neutral = classify(text, has_media=has_media, context=replace(context, awaiting=None))
    intent, reading, answers = contextual.intent.value, contextual, False
    # "hmm", or a bare "ndio" some reading takes for checkout: no request of its own.
    unclear = (
        neutral.intent is Intent.OTHER
        or (
            confirmation.is_guess(neutral.intent.value, neutral.decisive)
            and (neutral.entities.yes or neutral.entities.no)
        )
        or _short_and_unsure(neutral, text, awaiting)
    )
    if not unclear and neutral.intent.value != intent:
        intent, reading = neutral.intent.value, neutral  # the message asks for something of its own
    elif unclear and (
        confirmation.is_guess(intent, contextual.decisive) or not contextual.decisive
    ):
        intent = "other"  # only the wait made "hmm" look like an action, or nothing is clear
    if awaiting == "checkout_confirmation" and unclear and confirmation.says_yes(neutral.entities):
        intent, answers = "checkout", True
    elif intent == "delivery_address" and not _looks_like_address(neutral, text):
        intent = "ask_address"  # "wait", "what's the delivery fee?": ask again
    if awaiting == "size" and intent in ("other", "product_search", "add_to_cart"):
        bare = _BARE_SIZE.match(text)
        sizes = contextual.entities.sizes or ((bare.group(1),) if bare else ())
        if sizes:
            intent, answers = "add_to_cart", True
            reading = replace(contextual, entities=replace(contextual.entities, sizes=sizes))
    if awaiting == "payment_phone" and contextual.entities.phone:
        intent, answers = "payment_phone", True
    if awaiting == "payer_confirmation" and intent in ("other", "checkout"):
        # "yes", "yes proceed", "hapana", "hmm?": an answer to "send the prompt to
        # 0712 *** 678?"; a message with a number names another payer (asked about in turn).
        intent = "payment_phone" if contextual.entities.phone else "payer_answer"
        answers = True
    if intent == "other" and awaiting in _ASKED_AGAIN:
        intent = "declined" if confirmation.declines(neutral.entities) else "ask_again"
    return Routed(intent, replace(reading, decisive=True) if answers else reading, text)


def clear_stale_wait(state: ConversationState, intent: str) -> None:
    if intent in _KEEPS_WAIT:
        return
    awaiting = state.awaiting
    if awaiting and intent not in AWAITED.get(awaiting, set()):
        state.awaiting = None
    if intent != "add_to_cart":
        state.pending_add = None
    if state.awaiting != confirmation.AWAITING:
        state.pending_action = None
