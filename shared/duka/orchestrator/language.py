"""Tell English, Swahili/Sheng and code-switched messages apart, so replies can match."""

import re
from collections.abc import Iterable
from enum import StrEnum

from duka.orchestrator import vocabulary as vocab
from duka.orchestrator.entities import alternation, normalize


class Language(StrEnum):
    EN = "en"
    SW = "sw"
    MIXED = "mixed"


# Swahili verbs are built from prefixes: ni-ta-lipa, tu-me-tuma, ha-i-ja-fika, ku-lipa,
# mna-uza, ni-tum-ie. These shapes catch verbs no word list could enumerate.
_SWAHILI_VERB = re.compile(
    r"(?:ni|tu|u|a|wa|m|mu|i|zi|ha|hai|si|hu)(?:ta|me|li|na|ja|sha|ka)[a-z]{2,}"
    r"|ku[a-z]{3,}a|mna[a-z]{2,}|ni[a-z]{3,}e"
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Place names read the same in both languages ("Utawala" even looks like a Swahili verb).
_PLACES = re.compile(rf"\b{alternation(vocab.DELIVERY_AREAS)}\b")
# Share of the minority language at which a message counts as code-switched.
_MIXED_SHARE = 0.25


def has_language_signal(text: str) -> bool:
    """Whether any word tells English from Swahili ("M", "#2", "ok", "Kilimani" don't)."""
    return any(
        word in vocab.ENGLISH_WORDS or word in vocab.SWAHILI_WORDS or _SWAHILI_VERB.fullmatch(word)
        for word in _WORD.findall(normalize(text))
    )


def detect_language(text: str) -> Language:
    """Language of a message by counting Swahili/Sheng against English words.

    Loanwords both languages use (cart, size, order, garment and colour names) count for
    neither, and a message with no telling words at all ("ok", "0712...") defaults to English.
    """
    swahili = english = 0
    for word in _WORD.findall(normalize(text)):
        if word in vocab.ENGLISH_WORDS:
            english += 1
        elif word in vocab.SWAHILI_WORDS or _SWAHILI_VERB.fullmatch(word):
            swahili += 1
    total = swahili + english
    if swahili == 0:
        return Language.EN
    if english == 0:
        return Language.SW
    return (
        Language.MIXED
        if min(swahili, english) / total >= _MIXED_SHARE
        else (Language.SW if swahili > english else Language.EN)
    )


def spoken_language(text: str, names: Iterable[str] = ()) -> Language | None:
    """The language a message is written in, or None when no word tells (keep the last one).

    Names are written the same in either language, so they count for neither: the `names`
    given (products shown or in the cart, the address the message gives) and known places.
    A message that is only an address ("Utawala, Tena estate") therefore tells nothing.
    """
    normalized = normalize(text)
    for name in names:
        if written := normalize(name):
            normalized = normalized.replace(written, " ")
    normalized = _PLACES.sub(" ", normalized)
    return detect_language(normalized) if has_language_signal(normalized) else None
