"""The cart, kept in conversations.metadata->'cart' as the design says; prices come from the DB."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any


@dataclass
class CartItem:
    product_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    size: str | None = None
    color: str | None = None

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["unit_price"] = str(self.unit_price)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CartItem:
        return cls(
            product_id=str(data["product_id"]),
            sku=str(data.get("sku", "")),
            name=str(data["name"]),
            quantity=int(data["quantity"]),
            unit_price=Decimal(str(data["unit_price"])),
            size=data.get("size"),
            color=data.get("color"),
        )


@dataclass
class Cart:
    items: list[CartItem]

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> Cart:
        raw = (metadata.get("cart") or {}).get("items") or []
        return cls([CartItem.from_json(item) for item in raw])

    def to_metadata(self) -> dict[str, Any]:
        return {"items": [item.to_json() for item in self.items]}

    @property
    def total(self) -> Decimal:
        return sum((item.line_total for item in self.items), Decimal(0))

    def find(self, product_id: str, size: str | None) -> CartItem | None:
        for item in self.items:
            if item.product_id == product_id and item.size == size:
                return item
        return None

    def quantity_of(self, product_id: str) -> int:
        return sum(item.quantity for item in self.items if item.product_id == product_id)
