"""How well one candidate product answers a query: a weighted blend of independent signals.

Each signal is in 0..1 and may be absent (no text, no photo, model unavailable); the score is
the weighted mean of the signals present, so losing one never distorts the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from duka.catalog.words import Concept, stem, tokens
from duka.images.findings import ImageAnalysis
from duka.images.palette import colour_affinity

WEIGHTS = {"semantic": 0.4, "keyword": 0.3, "facets": 0.3, "photo": 0.6}
FUZZY_RATIO = 0.8  # "kitengee" still finds "kitenge"; shorter words must be exact
FUZZY_CREDIT = 0.7
_RANK_WEIGHTS = (1.0, 0.6, 0.4)


@dataclass(frozen=True)
class Wanted:
    """What the query asks for, to score candidates against."""

    concepts: tuple[Concept, ...]
    colours: frozenset[str]
    categories: frozenset[str]
    photo: ImageAnalysis | None


def score(row: dict[str, Any], wanted: Wanted) -> float:
    signals = {
        "semantic": None if row["semantic"] is None else max(0.0, float(row["semantic"])),
        "keyword": keyword_signal(row, wanted.concepts),
        "facets": facet_signal(row["search_tags"], wanted),
        "photo": None if wanted.photo is None else photo_signal(row, wanted.photo),
    }
    present = {name: value for name, value in signals.items() if value is not None}
    if not present:
        return 0.0
    total = sum(WEIGHTS[name] for name in present)
    return sum(WEIGHTS[name] * value for name, value in present.items()) / total


def keyword_signal(row: dict[str, Any], concepts: tuple[Concept, ...]) -> float | None:
    """Share of the customer's words found in the product's text (typos get part credit)."""
    if not concepts:
        return None
    text = row["search_text"]
    words = {stem(t) for t in tokens(text)}
    credit = 0.0
    for concept in concepts:
        if any(form in words or (" " in form and form in text) for form in concept.forms):
            credit += 1.0
        elif any(_close(form, words) for form in concept.forms if len(form) >= 5):
            credit += FUZZY_CREDIT
    return credit / len(concepts)


def _close(form: str, words: set[str]) -> bool:
    return any(
        word[:1] == form[:1] and SequenceMatcher(None, form, word).ratio() >= FUZZY_RATIO
        for word in words
    )


def _facets(tags: list[str], kind: str) -> set[str]:
    prefix = f"{kind}:"
    return {tag[len(prefix) :] for tag in tags if tag.startswith(prefix)}


def facet_signal(tags: list[str], wanted: Wanted) -> float | None:
    parts = []
    if wanted.colours:
        offered = _facets(tags, "color")
        parts.append(
            max((colour_affinity(w, o) for w in wanted.colours for o in offered), default=0.0)
        )
    if wanted.categories:
        parts.append(1.0 if wanted.categories & _facets(tags, "category") else 0.0)
    return sum(parts) / len(parts) if parts else None


def colour_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Symmetric: every prominent colour of each side should appear on the other."""

    def covered(source: tuple[str, ...], target: tuple[str, ...]) -> float:
        weights = _RANK_WEIGHTS[: len(source)]
        found = (
            w * max((colour_affinity(c, t) for t in target), default=0.0)
            for w, c in zip(weights, source, strict=False)
        )
        return sum(found) / sum(weights)

    if not a or not b:
        return 0.0
    return (covered(a, b) + covered(b, a)) / 2


def photo_signal(row: dict[str, Any], photo: ImageAnalysis) -> float:
    """Compare the customer's photo with the product's own photo analysis (like with like)."""
    stored = row.get("image_analysis")
    product_photo = ImageAnalysis.from_json(stored) if stored else None
    colours = (
        product_photo.colors
        if product_photo
        else tuple(sorted(_facets(row["search_tags"], "color")))
    )
    parts = [(0.6, colour_similarity(photo.colors, colours))]
    if product_photo and photo.is_plain is not None and product_photo.is_plain is not None:
        parts.append((0.2, 1.0 if photo.is_plain == product_photo.is_plain else 0.0))
    if photo.garment:
        parts.append(
            (0.2, 1.0 if photo.garment in _facets(row["search_tags"], "category") else 0.0)
        )
    return sum(w * v for w, v in parts) / sum(w for w, _ in parts)
