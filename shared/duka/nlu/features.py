"""What the intent model sees of a message: words, word pairs, letter groups, and context.

Training (`duka nlu train`) and prediction call this same function, so the two can never
disagree about a feature. Numbers are reduced to their shape (a phone, an M-Pesa code, an
amount, a small count) because their value says nothing about the intent.
"""

import re
from collections.abc import Iterable

from duka.orchestrator.entities import Entities, normalize

_TOKEN = re.compile(r"[a-z0-9#']+|[?!]")
_MPESA_CODE = re.compile(r"^(?=[a-z0-9]{10}$)(?=(?:[a-z]*\d){2})[a-z0-9]+$")
_CHAR_SIZES = (3, 4, 5)
STRONG_RULE = 0.85


def _shape(token: str) -> str:
    if _MPESA_CODE.match(token):
        return "<code>"
    if token.isdigit():
        if len(token) >= 9:
            return "<phone>"
        return "<amount>" if len(token) >= 3 else "<n>"
    if token.startswith("#") and token[1:].isdigit():
        return "<ref>"
    return token


def _letter_groups(word: str) -> Iterable[str]:
    padded = f" {word} "
    for size in _CHAR_SIZES:
        for start in range(len(padded) - size + 1):
            yield "c:" + padded[start : start + size]


def _entity_flags(entities: Entities) -> Iterable[str]:
    flags = {
        "item": bool(entities.item_refs or entities.ref_color),
        "size": bool(entities.sizes),
        "colour": bool(entities.colors),
        "category": bool(entities.categories),
        "quantity": entities.quantity is not None,
        "price": bool(entities.max_price or entities.cheap),
        "phone": entities.phone is not None,
        "yes": entities.yes,
        "no": entities.no,
        "address": entities.address is not None,
        "area": entities.delivery_area is not None,
    }
    return (f"e:{name}" for name, present in flags.items() if present)


def message_features(
    text: str,
    *,
    entities: Entities,
    awaiting: str | None,
    has_media: bool,
    rule_votes: Iterable[tuple[str, float]],
    rule_reading: str,
) -> list[str]:
    """Feature strings of one message; repeated strings count more (term frequency)."""
    words = [_shape(token) for token in _TOKEN.findall(normalize(text))]
    features = [f"w:{word}" for word in words]
    features += [f"b:{first}_{second}" for first, second in zip(words, words[1:], strict=False)]
    for word in words:
        if not word.startswith("<"):
            features.extend(_letter_groups(word))
    features.append(f"await:{awaiting or 'none'}")
    if has_media:
        features.append("media")
    if not words:
        features.append("empty")
    features.extend(_entity_flags(entities))
    features.append(f"rules:{rule_reading}")
    for intent, strength in rule_votes:
        features.append(f"r:{intent}")
        if strength >= STRONG_RULE:
            features.append(f"r:{intent}:strong")
    return features
