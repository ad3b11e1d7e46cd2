"""Typed answers while the pickup points list is open: "3" picks the third point shown, "more"
or "zaidi" shows the next page, a short message names her area (the list is sorted again)."""

from __future__ import annotations

import re

from duka.orchestrator.entities import Entities, extract_entities
from duka.orchestrator.intents import Classification, Intent
from duka.orchestrator.language import Language
from duka.orchestrator.state import ConversationState

AWAITING = "pickup_point"
INTENTS = frozenset({"pickup_point", "pickup_points", "pickup_more"})
_NUMBER = re.compile(r"^\W*(?:no\.?\s*|namba\s*|#)?(\d{1,2})\W*$", re.IGNORECASE)
_MORE = re.compile(r"^\W*(?:more|show more|next|zaidi|nyingine|ingine)\W*$", re.IGNORECASE)
_MAX_AREA_WORDS = 3


def _routed(intent: str, text: str, entities: Entities) -> tuple[str, Classification]:
    reading = Classification(
        intent=Intent.OTHER, entities=entities, language=Language.EN, confidence=1.0
    )
    return intent, reading


def route(
    text: str, has_media: bool, state: ConversationState
) -> tuple[str, Classification] | None:
    """The intent and reading of an answer to the open list; None for anything else."""
    if state.awaiting != AWAITING or has_media:
        return None
    number = _NUMBER.match(text)
    if number and 0 < int(number.group(1)) <= len(state.pickup_shown or []):
        return _routed("pickup_point", text, Entities(item_refs=(int(number.group(1)),)))
    if _MORE.match(text):
        return _routed("pickup_more", text, Entities())
    entities = extract_entities(text)
    if entities.delivery_area or len(text.split()) <= _MAX_AREA_WORDS:
        return _routed("pickup_points", text, entities)
    return None
