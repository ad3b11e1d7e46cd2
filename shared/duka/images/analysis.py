"""Describe a garment photo: Gemini vision when online, Pillow pixel statistics otherwise."""

from __future__ import annotations

import logging

from duka.images.findings import ImageAnalysis, ImageUnreadable, Source
from duka.images.limits import open_image
from duka.images.pixels import analyze_pixels
from duka.images.vision import analyze_with_gemini
from duka.llm import LLMUnavailable, get_gemini_client
from duka.logs import log

logger = logging.getLogger(__name__)


def preferred_source() -> Source:
    """Gemini when a key is configured; pixels in offline mode."""
    return "gemini" if get_gemini_client().enabled else "pixels"


def analyze_image(data: bytes, content_type: str) -> ImageAnalysis:
    """Gemini vision when online; on any Gemini failure (or offline) the pixel analysis.

    Bytes that are not a picture, or a picture over the pixel limit, are refused
    (ImageUnreadable) from the header alone, before any decode and before any model call.
    """
    try:
        open_image(data).close()
    except (OSError, ValueError) as exc:  # ImageTooLarge is a ValueError
        raise ImageUnreadable(f"not a readable image: {exc}") from exc
    if preferred_source() == "gemini":
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
