"""What the tools established this turn: the only material a reply may be built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ShownProduct:
    """A product the customer has seen in a numbered list, so '#2' can resolve."""

    id: str
    name: str
    price: Decimal
    sizes: tuple[str, ...]
    colors: tuple[str, ...]
    stock: int
    images: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "price": str(self.price),
            "sizes": list(self.sizes),
            "colors": list(self.colors),
            "stock": self.stock,
            "images": list(self.images),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShownProduct:
        return cls(
            str(data["id"]),
            str(data["name"]),
            Decimal(str(data["price"])),
            tuple(data.get("sizes") or ()),
            tuple(data.get("colors") or ()),
            int(data.get("stock") or 0),
            tuple(data.get("images") or ()),
        )

    @classmethod
    def from_row(cls, row: Any) -> ShownProduct:
        """From a search hit or a products row."""
        if isinstance(row, dict):
            attrs = row.get("attrs") or {}
            return cls(
                str(row["id"]),
                str(row["name"]),
                Decimal(str(row["price"])),
                tuple(attrs.get("sizes") or ()),
                tuple(attrs.get("colors") or ()),
                int(row["stock"]),
                tuple(row.get("images") or ()),
            )
        return cls(
            row.id,
            row.name,
            Decimal(str(row.price)),
            tuple(row.sizes),
            tuple(row.colors),
            int(row.stock),
            tuple(row.images),
        )


@dataclass
class Facts:
    intent: str
    language: str
    draft: str  # the template reply: always correct, used when the model is off or fails
    use_llm: bool = False
    tool_llm_calls: int = 0  # model calls a tool already made (photo analysis by Gemini vision)
    products: list[ShownProduct] = field(default_factory=list)
    photo: dict[str, Any] | None = None
    amounts: set[Decimal] = field(default_factory=set)  # every amount a reply may state
    notes: list[str] = field(default_factory=list)  # facts for the model, in plain words
    media_urls: list[str] = field(default_factory=list)
    extra_messages: list[dict[str, Any]] = field(default_factory=list)  # e.g. owner alerts

    def allow(self, *amounts: Decimal | int | float | None) -> None:
        for amount in amounts:
            if amount is not None:
                self.amounts.add(Decimal(str(amount)).quantize(Decimal(1)))
