"""The customer's answers to the back-in-stock offer and message, read in code before the
intent model (which is not retrained for them).

While the offer is the chat's wait, a short yes/ndio/sawa subscribes and a no closes the offer
(confirmation.py's yes/no readers); anything else is a request of its own and lets the wait go.
The first message after a back-in-stock alert that says yes or "I want it" buys the item. A tap
on the offer's button must name the item offered; a "Buy now" tap must name an item this chat
was alerted to that can be bought now (otherwise the tap is stale).
"""

from __future__ import annotations

import re
from dataclasses import replace

from duka.db.pool import Connection
from duka.orchestrator import confirmation
from duka.orchestrator import interactive as ix
from duka.orchestrator.intents import Classification, ClassifierContext, Intent, classify
from duka.orchestrator.restock_offer import (
    AWAITING,
    BUY,
    BUY_KEY,
    DECLINE,
    OFFER_KEY,
    READY_KEY,
    SUBSCRIBE,
    extra_of,
)
from duka.orchestrator.state import ConversationState
from duka.orders import stock_alerts

TAP_ACTIONS = frozenset({ix.ALERT, ix.RESTOCK})
_SHORT = 4  # a yes this short answers the offer; a longer message may ask for something else
_WANTS_IT = re.compile(
    r"\b(?:i want it|i'?ll take it|nataka|naitaka|nitachukua|order it|buy it|nunua)\b",
    re.IGNORECASE,
)


def _reading(text: str, has_media: bool, state: ConversationState) -> Classification:
    context = ClassifierContext(
        awaiting=None,
        has_cart=bool(state.current_cart().items),
        has_shown_items=bool(state.shown),
    )
    return classify(text, has_media=has_media, context=context)


def _sure(intent: str, reading: Classification) -> tuple[str, Classification]:
    return intent, replace(reading, decisive=True)


def route(
    text: str, has_media: bool, state: ConversationState
) -> tuple[str, Classification] | None:
    """The intent and reading of a typed answer to the offer or to the back-in-stock message;
    None for anything else (the wait is then let go and the message routed as usual; the
    offer's button still works until another offer replaces it)."""
    extra = extra_of(state)
    ready = extra.pop(READY_KEY, None)  # only the first message after the alert answers it
    if state.awaiting == AWAITING and isinstance(extra.get(OFFER_KEY), dict):
        reading = _reading(text, has_media, state)
        answer = reading.intent is Intent.OTHER or len(text.split()) <= _SHORT
        if answer and confirmation.says_yes(reading.entities):
            return _sure(SUBSCRIBE, reading)
        if answer and confirmation.declines(reading.entities):
            return _sure(DECLINE, reading)
        state.awaiting = None
        return None
    if isinstance(ready, dict) and state.awaiting is None:
        reading = _reading(text, has_media, state)
        short_yes = confirmation.says_yes(reading.entities) and len(text.split()) <= _SHORT
        if short_yes or _WANTS_IT.search(text):
            extra[BUY_KEY] = ready
            return _sure(BUY, reading)
    return None


def tap_intent(
    conn: Connection, conversation_id: str, state: ConversationState, parsed: ix.Payload
) -> str | None:
    """The intent of an alert or buy tap, or None (stale) when the state refuses it: the alert
    must be the one offered in this chat; the buy must name an item this chat was alerted to
    that can be bought now."""
    extra = extra_of(state)
    extra.pop(READY_KEY, None)
    if len(parsed.parts) != 2:
        return None
    product_id, size = parsed.parts[0], stock_alerts.normal_size(parsed.parts[1])
    if parsed.action == ix.ALERT:
        offered = extra.get(OFFER_KEY)
        if isinstance(offered, dict) and (offered["product_id"], offered["size"]) == (
            product_id,
            size,
        ):
            return SUBSCRIBE
        return None
    if stock_alerts.was_alerted(conn, conversation_id, product_id, size) and stock_alerts.available(
        conn, product_id, size
    ):
        extra[BUY_KEY] = {"product_id": product_id, "size": size}
        return BUY
    return None
