"""Describe a garment photo: Gemini vision when online, Pillow pixel statistics otherwise."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Literal

from duka.errors import Rejected
from duka.llm import LLMUnavailable, get_gemini_client
from duka.logs import log

logger = logging.getLogger(__name__)

Source = Literal["gemini", "pixels"]


class ImageUnreadable(Rejected):
    """The bytes are not a picture we can decode; tell the customer, don't retry."""


@dataclass(frozen=True)
class ImageAnalysis:
    garment: str | None  # canonical garment word ("dress"), None when unknown
    colors: tuple[str, ...]  # canonical colour names, most prominent first
    pattern: str | None  # "plain", "patterned" or Gemini's word ("floral", "kitenge print")
    style: str | None
    description: str  # short English text used as the search query / product caption
    source: str  # "gemini" | "pixels"

    @property
    def is_plain(self) -> bool | None:
        if self.pattern is None:
            return None
        return self.pattern in ("plain", "solid")

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "colors": list(self.colors)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageAnalysis:
        return cls(
            garment=data.get("garment"),
            colors=tuple(data.get("colors") or ()),
            pattern=data.get("pattern"),
            style=data.get("style"),
            description=data.get("description") or "",
            source=data.get("source") or "pixels",
        )


def preferred_source() -> Source:
    """Gemini when a key is configured; pixels in offline mode."""
    return "gemini" if get_gemini_client().enabled else "pixels"


def analyze_image(data: bytes, content_type: str) -> ImageAnalysis:
    """Gemini vision when online; on any Gemini failure (or offline) the pixel analysis.

    Bytes that are not a picture, or a picture over the pixel limit, are refused
    (ImageUnreadable) from the header alone, before any decode and before any model call.
    """
    from duka.images.limits import open_image
    from duka.images.pixels import analyze_pixels

    try:
        open_image(data).close()
    except (OSError, ValueError) as exc:  # ImageTooLarge is a ValueError
        raise ImageUnreadable(f"not a readable image: {exc}") from exc
    if preferred_source() == "gemini":
        from duka.images.vision import analyze_with_gemini

        try:
            return analyze_with_gemini(data, content_type)
        except LLMUnavailable as exc:
            log(
                logger,
                logging.WARNING,
                "Gemini image analysis failed; using pixel analysis",
                reason=exc.reason,
                detail=exc.detail,
            )
    return analyze_pixels(data)
