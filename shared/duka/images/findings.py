"""What a photo analysis found, whichever analyser (Gemini vision or pixels) produced it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from duka.errors import Rejected

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
