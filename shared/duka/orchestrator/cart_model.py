"""The cart, kept in conversations.metadata->'cart' as the design says; prices come from the DB."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class CartItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    product_id: str
    sku: str = ""
    name: str
    quantity: int
    unit_price: Decimal  # stored as a string ("1600.00"), as it always was
    size: str | None = None
    color: str | None = None

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class Cart(BaseModel):
    model_config = ConfigDict(extra="allow")

    items: list[CartItem] = []

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
