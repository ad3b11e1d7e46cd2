"""Gemini vision: one structured call describing the garment in a photo, in our vocabulary."""

from __future__ import annotations

from pydantic import BaseModel, Field

from duka.catalog.words import canonical_category, canonical_colour
from duka.images.findings import ImageAnalysis
from duka.llm import get_gemini_client

SYSTEM = (
    "You describe fashion photos for a Kenyan boutique's catalogue search. Describe the main"
    " garment only, in plain English, using common single words: garment type (dress, skirt,"
    " trousers, jeans, shirt, blouse, top, jacket, kimono, jumpsuit, shoes, sandals, bag),"
    " colour names (red, maroon, pink, orange, yellow, gold, green, blue, navy, purple, brown,"
    " beige, cream, white, grey, black), pattern (plain, floral, striped, checked, polka dot,"
    " animal print, kitenge print, ankara print), style, sleeves and length where visible."
)
PROMPT = "Describe the garment in this photo."


class GarmentDescription(BaseModel):
    garment: str | None = Field(description="one garment word, or null if no garment is shown")
    colors: list[str] = Field(description="main colours, most prominent first (at most 3)")
    pattern: str | None = Field(description="plain, floral, striped, kitenge print, ...")
    style: str | None = Field(description="e.g. bodycon, maxi, wrap, casual, office, evening")
    sleeves: str | None = Field(description="sleeveless, short, long, puff ... or null")
    length: str | None = Field(description="mini, knee-length, midi, maxi ... or null")


def analyze_with_gemini(data: bytes, content_type: str) -> ImageAnalysis:
    """Raises LLMUnavailable; the caller falls back to the pixel analysis."""
    result = get_gemini_client().generate_structured(
        system=SYSTEM,
        prompt=PROMPT,
        schema=GarmentDescription,
        images=[(data, content_type)],
        temperature=0.0,
        max_output_tokens=256,
    )
    found = result.value
    garment = canonical_category(found.garment) if found.garment else None
    colors = tuple(dict.fromkeys(c for c in (canonical_colour(raw) for raw in found.colors) if c))[
        :3
    ]
    pattern = (found.pattern or "").strip().lower() or None
    if pattern in ("solid", "none", "plain colour", "plain color"):
        pattern = "plain"
    words = [
        *colors,
        pattern or "",
        found.style or "",
        found.length or "",
        f"{found.sleeves} sleeves" if found.sleeves else "",
        garment or found.garment or "garment",
    ]
    return ImageAnalysis(
        garment=garment,
        colors=colors,
        pattern=pattern,
        style=(found.style or "").strip().lower() or None,
        description=" ".join(w.strip().lower() for w in words if w and w.strip()),
        source="gemini",
    )
