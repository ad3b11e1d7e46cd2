"""Words of product search: tokens, filler words, and synonyms folded to canonical English.

The synonym tables (English, Swahili, Sheng) are the orchestrator's vocabulary; this module
only applies them to catalogue text and search queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from duka.orchestrator import vocabulary as vocab

_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_PHRASE = 3  # the longest vocabulary alias, in words ("sky blue", "rangi nyingi")

# Words that say nothing about which product is meant (English, Swahili, Sheng fillers).
STOPWORDS = frozenset(
    """
    a an the and or of for to in on at with from by is are be it its this that these those
    i im i'm me my you your we our do does did have has had got any some show see find give
    want wanted need looking look search please pls kindly hi hello hey there what which how
    much many price cost available still something thing things one ones like would could can
    get me buy new nice size sizes colour colours color colors kind type please
    nataka ningependa naomba nipe nipatie nionyeshe niko iko kuna mko uko una mna je ya la za
    wa cha vya kwa na ni si hii hizi hiyo hizo yoyote nzuri mzuri poa sasa bei ngapi rangi
    saizi yenye zenye venye unauza mnauza mnayo uko nayo kitu vitu tafadhali tafuta natafuta
    manze msee buda bana maze niaje sasa vipi aje pia tu
    """.split()
)


def _lookup(table: dict[str, str], word: str) -> str | None:
    word = word.strip().lower()
    if word in table:
        return table[word]
    for suffix in ("es", "s"):
        if word.endswith(suffix) and word[: -len(suffix)] in table:
            return table[word[: -len(suffix)]]
    return None


def canonical_colour(word: str) -> str | None:
    return _lookup(vocab.COLOURS, word)


def canonical_category(word: str) -> str | None:
    return _lookup(vocab.CATEGORIES, word)


def canonical_size(size: str) -> str:
    """'medium' -> 'M', 'm' -> 'M', '38' -> '38', 'free size' -> 'FREE'."""
    cleaned = size.strip().lower()
    if cleaned in vocab.LETTER_SIZES:
        return vocab.LETTER_SIZES[cleaned]
    if cleaned in ("free", "free size", "one size", "onesize"):
        return "FREE"
    return cleaned.upper()


def stem(word: str) -> str:
    """A light plural fold so 'weddings' meets 'wedding' and 'dresses' meets 'dress'."""
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Lower-case words with common texting misspellings corrected."""
    return [vocab.SPELLING.get(t, t) for t in _TOKEN.findall(text.lower())]


@dataclass(frozen=True)
class Concept:
    """One thing the customer asked for, with every spelling that counts as a match."""

    text: str  # as the customer wrote it
    forms: frozenset[str]  # stemmed words/phrases, canonical English included
    colour: str | None = None
    category: str | None = None


def concepts(text: str) -> list[Concept]:
    """The content of a query: multi-word aliases first, filler words dropped."""
    words = tokens(text)
    found: list[Concept] = []
    i = 0
    while i < len(words):
        for length in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + length])
            colour = canonical_colour(phrase)
            category = canonical_category(phrase)
            if colour or category or length == 1:
                break
        i += length
        if not (colour or category) and (phrase in STOPWORDS or len(phrase) < 2):
            continue
        forms = {stem(phrase), *(stem(c) for c in (colour, category) if c)}
        found.append(Concept(phrase, frozenset(forms), colour, category))
    return found


def expanded_query(text: str) -> str:
    """The query with canonical English added, so an English embedding model understands it."""
    extra = [
        c.colour or c.category or ""
        for c in concepts(text)
        if (c.colour or c.category) and (c.colour or c.category) != c.text
    ]
    return " ".join([text.strip(), *extra]).strip()


def product_tags(category: str, name: str, colors: tuple[str, ...] | list[str]) -> list[str]:
    """Filterable facets: 'category:dress', 'color:red' (canonical, de-duplicated, sorted).

    Garment words in the name count as categories only when written canonically ("Kitenge
    Kimono Jacket" is a jacket and kitenge; "Denim Jacket" is not jeans).
    """
    tags = set()
    main = canonical_category(category) or category.strip().lower()
    if main:
        tags.add(f"category:{main}")
    for word in tokens(name):
        found = canonical_category(word)
        if found and stem(word) == stem(found):
            tags.add(f"category:{found}")
    for colour in colors:
        tags.add(f"color:{canonical_colour(colour) or colour.strip().lower()}")
    return sorted(tags)
