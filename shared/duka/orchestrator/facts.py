"""What the tools established this turn: the only material a reply may be built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from duka.orchestrator.interactive import Interactive


class ShownProduct(BaseModel):
    """A product the customer has seen in a numbered list, so '#2' can resolve."""

    model_config = ConfigDict(frozen=True, extra="allow")

    id: str
    name: str
    price: Decimal  # stored as a string, as it always was
    sizes: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    stock: int = 0
    images: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Any) -> ShownProduct:
        """From a search hit or a products row."""
        if isinstance(row, dict):
            attrs = row.get("attrs") or {}
            return cls(
                id=str(row["id"]),
                name=str(row["name"]),
                price=Decimal(str(row["price"])),
                sizes=tuple(attrs.get("sizes") or ()),
                colors=tuple(attrs.get("colors") or ()),
                stock=int(row["stock"]),
                images=tuple(row.get("images") or ()),
            )
        return cls(
            id=row.id,
            name=row.name,
            price=Decimal(str(row.price)),
            sizes=tuple(row.sizes),
            colors=tuple(row.colors),
            stock=int(row.stock),
            images=tuple(row.images),
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
    fabrics: set[str] | None = None  # product questions: the only fabrics a reply may name
    media_urls: list[str] = field(default_factory=list)
    extra_messages: list[dict[str, Any]] = field(default_factory=list)  # e.g. owner alerts
    # The reply's choices as a WhatsApp list or buttons; the draft keeps them as text.
    interactive: Interactive | None = None

    def allow(self, *amounts: Decimal | int | float | None) -> None:
        for amount in amounts:
            if amount is not None:
                self.amounts.add(Decimal(str(amount)).quantize(Decimal(1)))
