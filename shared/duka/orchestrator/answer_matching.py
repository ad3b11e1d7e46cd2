"""Which of the owner's question/answer pairs a customer message asks, without a model.

A pair matches when one of its phrasings (the question, or an extra phrasing or keyword the
owner added) has most of its content words in the message: all of them for a phrasing of up to
three words, all but one for four, three quarters above that. Words are normalize()d, function
words (English and Swahili) dropped and a plural "s" trimmed, so "Do you sell gift cards?" and
"any gift card?" meet on {gift, card}. The best-covered phrasing wins; ties go to the pair whose
phrasing shares more words, then to the older pair.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from duka.orchestrator.entities import normalize

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    # English function words and the question frame around what is asked
    "a an the and or but if of to in on at by for from with about as is are was were be been"
    " am do does did done can could will would shall should may might must have has had i me"
    " my mine you your yours u ur we us our they them their it its this that these those there"
    " here what whats which who whom whose when where why how hi hello hey please pls plz kindly"
    " thanks thank ok okay any some also just so not no yes get got want need know tell ask"
    " sell selling sold offer shop store boutique"
    # Swahili and Sheng function words and the same frame
    " na ya wa za la kwa ni si je mna mnauza mko una uko ninyi nyinyi nyie wewe mimi sisi yenu"
    " yako yangu hii hiyo hizi hizo huu ile kuna hapa pale gani nini lini wapi vipi aje sasa"
    " tafadhali asante sawa ama au pia tu bado naomba nataka niambie mnaweza naweza duka".split()
)


@dataclass(frozen=True)
class Candidate:
    """One pair as the matcher sees it: its key and every phrasing."""

    key: str
    phrasings: tuple[str, ...]


def content_words(text: str) -> frozenset[str]:
    """The words that carry what is asked, normalised and with a plural "s" trimmed."""
    words = set()
    for word in _WORD.findall(normalize(text)):
        if word in STOPWORDS or len(word) < 2:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return frozenset(words)


def _needed(size: int) -> int:
    if size <= 3:
        return size
    if size == 4:
        return 3
    return math.ceil(size * 0.75)


def best_match(message: str, candidates: Sequence[Candidate]) -> str | None:
    """The key of the pair the message asks, or None."""
    said = content_words(message)
    if not said:
        return None
    best: tuple[float, int] = (0.0, 0)
    found: str | None = None
    for candidate in candidates:
        for phrasing in candidate.phrasings:
            wanted = content_words(phrasing)
            if not wanted:
                continue
            shared = len(wanted & said)
            if shared < _needed(len(wanted)):
                continue
            score = (shared / len(wanted), shared)
            if score > best:
                best, found = score, candidate.key
    return found
