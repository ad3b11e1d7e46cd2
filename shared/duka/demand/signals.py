"""Record a demand signal when a customer's search or photo found nothing, or only weak matches.

The rule uses only what the search already knows ("weak" is never a model's opinion):

- a search is 'none' when no product came back (every price ceiling, garment and colour filter
  is hard, so a ceiling nothing met ends here too);
- a search is 'weak' when products came back but none of them is everything she asked for:
  in a colour she named (else it is the "other colours" fallback), every garment word she said
  at once ("kitenge dress", not kitenge tops and plain dresses; one garment word is already a
  hard filter), and offering the size she said (any plus size for "plus-size", or Free size);
- a photo is 'none' when no close match came back, and 'weak' when none of the close matches
  has the photo's main colour, or its garment when she or the vision model named one (the
  reply then tops up with the same garment in other colours).

A search that asked for nothing in particular ("I want to shop") and found products is not
demand. The row is written in the turn's transaction, so it exists only if the turn does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from duka.catalog.search import ImageAnalysis, ProductHit
from duka.catalog.sizes import FREE, match_size
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.entities import Entities, normalize
from duka.phone import find_kenyan_phone_span

MAX_WORDS = 300
PLUS = "plus"
# "plus-size" is a size ask the size reader doesn't return; these sizes answer it.
PLUS_SIZES = frozenset({"XL", "XXL", "XXXL", "2XL", "3XL", "4XL", "5XL"})
_PLUS_WORDS = re.compile(
    r"\b(?:plus[\s-]?size|big\s+size|large\s+size|curvy|saizi\s+kubwa|size\s+kubwa|mnene|wanene)\b"
)
# Fabric words name a garment's cloth, so they go first: "dera ya kitenge" is a "kitenge dress".
FABRICS = frozenset({"ankara", "kitenge"})
# Price bands by ceiling (KES, inclusive upper bound); the last catches the rest.
BANDS: tuple[tuple[int, str], ...] = (
    (1000, "under-1k"),
    (2000, "1-2k"),
    (3000, "2-3k"),
    (5000, "3-5k"),
)
TOP_BAND = "5k+"


@dataclass(frozen=True)
class Ask:
    """What the customer asked for, as the topics group it."""

    garment: str | None
    colour: str | None
    size: str | None
    max_price: int | None


def price_band(max_price: int | None) -> str | None:
    """The band a price ceiling falls in: 3,000 is "2-3k", 3,001 is "3-5k"."""
    if max_price is None:
        return None
    return next((band for ceiling, band in BANDS if max_price <= ceiling), TOP_BAND)


def garment_words(words: Sequence[str]) -> str | None:
    """One name per garment ask, whatever order she said it in: "kitenge dress"."""
    unique = set(words)
    return " ".join(sorted(unique & FABRICS) + sorted(unique - FABRICS)) or None


def asked_size(entities: Entities, text: str) -> str | None:
    """The size she said, or "plus" for plus-size words."""
    if entities.sizes:
        return entities.sizes[0].upper()
    return PLUS if _PLUS_WORDS.search(normalize(text)) else None


def customer_words(text: str) -> str:
    """Her message on one line, any phone number blanked, cut to MAX_WORDS characters."""
    words = " ".join(text.split())
    while (span := find_kenyan_phone_span(words)) is not None:
        words = words[: span[0]] + "…" + words[span[1] :]
    return words[:MAX_WORDS]


def offers_size(hit: ProductHit, size: str) -> bool:
    offered = [s.upper() for s in hit.sizes]
    if FREE.upper() in offered:
        return True
    if size == PLUS:
        return bool(PLUS_SIZES & set(offered))
    return match_size(size, offered) is not None


def _words(hit: ProductHit) -> set[str]:
    """What a product says about itself: category, colours, and its name and description."""
    text = f"{hit.category} {' '.join(hit.colors)} {hit.name} {hit.description}".lower()
    return set(re.findall(r"[a-z]+", text))


def search_outcome(ask: Ask, entities: Entities, hits: Sequence[ProductHit]) -> str | None:
    """'none', 'weak' or None (one product is all she asked for) for a typed search."""
    if not hits:
        return "none"
    colours = set(entities.colors)
    garments = set(entities.categories)

    def fits(hit: ProductHit) -> bool:
        words = _words(hit)
        return (
            (not colours or bool(colours & words))
            and (len(garments) < 2 or garments <= words)
            and (ask.size is None or offers_size(hit, ask.size))
        )

    return None if any(fits(hit) for hit in hits) else "weak"


def photo_outcome(ask: Ask, hits: Sequence[ProductHit]) -> str | None:
    """'none', 'weak' or None for a photo: weak when no close match has its colour and garment."""
    if not hits:
        return "none"

    def close(hit: ProductHit) -> bool:
        colour_ok = ask.colour is None or ask.colour in {c.lower() for c in hit.colors}
        garment_ok = ask.garment is None or hit.category.lower() in ask.garment.split()
        return colour_ok and garment_ok

    return None if any(close(hit) for hit in hits) else "weak"


def note_search(
    deps: TurnDeps,
    *,
    text: str,
    entities: Entities,
    message_ids: Sequence[str],
    hits: Sequence[ProductHit],
) -> None:
    """Record a typed search that found nothing or only weak matches."""
    ask = Ask(
        garment=garment_words(entities.categories),
        colour=entities.colors[0] if entities.colors else None,
        size=asked_size(entities, text),
        max_price=entities.max_price,
    )
    outcome = search_outcome(ask, entities, hits)
    if outcome is not None:
        _record(deps, "search", ask, outcome, text, message_ids)


def note_photo(
    deps: TurnDeps,
    *,
    text: str,
    entities: Entities,
    message_ids: Sequence[str],
    analysis: ImageAnalysis,
    hits: Sequence[ProductHit],
) -> None:
    """Record a photo whose close matches missed its colour or garment (or were none)."""
    garments = entities.categories or ((analysis.garment,) if analysis.garment else ())
    ask = Ask(
        garment=garment_words(garments),
        colour=analysis.colors[0] if analysis.colors else None,
        size=asked_size(entities, text),
        max_price=entities.max_price,
    )
    outcome = photo_outcome(ask, hits)
    if outcome is not None:
        _record(deps, "photo", ask, outcome, text, message_ids)


def _record(
    deps: TurnDeps, kind: str, ask: Ask, outcome: str, text: str, message_ids: Sequence[str]
) -> None:
    deps.conn.execute(
        "INSERT INTO demand_signals (business_id, conversation_id, message_id, kind, garment,"
        " colour, size, max_price, price_band, words, outcome, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            deps.business_id,
            deps.conversation_id,
            message_ids[-1] if message_ids else None,
            kind,
            ask.garment,
            ask.colour,
            ask.size,
            ask.max_price,
            price_band(ask.max_price),
            customer_words(text),
            outcome,
            deps.clock(),
        ),
    )
