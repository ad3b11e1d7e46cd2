"""The add/edit product form: what the owner typed, checked, turned into a product to save."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.datastructures import MultiDict

from duka.catalog.sizes import SIZES_ACCEPTED, canonical_sizes
from duka.catalog.words import canonical_category

FASHION_ATTRIBUTES = ("material", "style", "occasion", "fit", "pattern")
MAX_NAME = 120
MAX_DESCRIPTION = 2000
BLANK_SIZE_ROWS = 3


@dataclass
class ProductForm:
    """Raw values (to show the form again) and, once valid, what to store."""

    sku: str = ""
    name: str = ""
    description: str = ""
    price: str = ""
    category: str = ""
    colors: str = ""
    stock: str = "0"
    sizes: list[tuple[str, str]] = field(default_factory=list)  # (size, quantity) rows
    attributes: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)  # stored refs kept on the product
    errors: dict[str, str] = field(default_factory=dict)
    # The stock the form showed (hidden fields): saving writes stock only when the owner changed
    # a number, and only if nothing (an order reserving or releasing pieces) changed it since.
    shown_stock: int | None = None
    shown_size_stock: dict[str, int] = field(default_factory=dict)  # product_stock rows

    @classmethod
    def from_product(cls, product: dict[str, Any], size_stock: dict[str, int]) -> ProductForm:
        """The form for a stored product; `size_stock` is its stock per size (product_stock)."""
        attrs = product.get("attrs") or {}
        sizes = [(str(s), str(size_stock.get(str(s), ""))) for s in attrs.get("sizes") or []]
        return cls(
            sku=product["sku"],
            name=product["name"],
            description=product["description"],
            price=f"{Decimal(product['price']):f}".rstrip("0").rstrip("."),
            category=product["category"],
            colors=", ".join(attrs.get("colors") or []),
            stock=str(product["stock"]),
            sizes=sizes,
            attributes={k: str(attrs[k]) for k in FASHION_ATTRIBUTES if attrs.get(k)},
            images=list(product["images"]),
            shown_stock=int(product["stock"]),
            shown_size_stock=dict(size_stock),
        )

    def with_current_stock(self, stock: int, size_stock: dict[str, int]) -> ProductForm:
        """The owner's edits with the stock section replaced by what is stored now."""
        return replace(
            self,
            stock=str(stock),
            sizes=[(size, str(size_stock.get(size, ""))) for size, _ in self.sizes],
            shown_stock=stock,
            shown_size_stock=dict(size_stock),
            errors={},
        )

    def shown_size_fields(self) -> list[str]:
        return [f"{size}:{stock}" for size, stock in sorted(self.shown_size_stock.items())]

    def stock_touched(self) -> bool:
        """Whether the owner changed a stock number (or the sizes tracked) from what was shown."""
        submitted = {size: _quantity(qty) for size, qty in self.sizes}
        shown = {size: self.shown_size_stock.get(size) for size in submitted}
        if submitted != shown or set(self.shown_size_stock) - set(submitted):
            return True
        return not self.sizes and _quantity(self.stock) != self.shown_stock

    def size_rows(self) -> list[tuple[str, str]]:
        return self.sizes + [("", "")] * BLANK_SIZE_ROWS

    # What is stored, valid only when `errors` is empty.
    @property
    def price_value(self) -> Decimal:
        return Decimal(self.price.replace(",", ""))

    @property
    def stock_by_size(self) -> dict[str, int]:
        return {size: int(qty or 0) for size, qty in self.sizes}

    @property
    def total_stock(self) -> int:
        return sum(self.stock_by_size.values()) if self.sizes else int(self.stock or 0)

    @property
    def color_list(self) -> list[str]:
        return [c.strip().lower() for c in self.colors.split(",") if c.strip()]

    def attrs(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.attributes.items() if v},
            "colors": self.color_list,
            "sizes": [size for size, _ in self.sizes],
        }


def _quantity(raw: str) -> int | None:
    """A stock field as a count; None when blank, -1 when unreadable (never equal to a count)."""
    try:
        return int(raw.strip()) if raw.strip() else None
    except ValueError:
        return -1


def _shown_size_stock(values: list[str]) -> dict[str, int]:
    """The hidden "SIZE:COUNT" fields; an unreadable one becomes -1 (a mismatch, never a write)."""
    shown: dict[str, int] = {}
    for value in values:
        size, _, count = value.rpartition(":")
        quantity = _quantity(count)
        shown[size] = -1 if quantity is None else quantity
    return shown


def _whole_number(raw: str) -> int | None:
    try:
        value = int(raw.strip() or "0")
    except ValueError:
        return None
    return value if value >= 0 else None


def parse_product_form(form: MultiDict[str, str], images: list[str]) -> ProductForm:
    """Read and check the posted form; `errors` names each field the owner must fix."""
    typed = [
        (s.strip().upper(), q.strip())
        for s, q in zip(form.getlist("size"), form.getlist("size_stock"), strict=False)
        if s.strip()
    ]
    category = form.get("category", "").strip().lower()
    readings = canonical_sizes([s for s, _ in typed], canonical_category(category) or category)
    unknown = [s for (s, _), size in zip(typed, readings, strict=True) if size is None]
    sizes = [(size or s, q) for (s, q), size in zip(typed, readings, strict=True)]
    parsed = ProductForm(
        sku=form.get("sku", "").strip() or "DK-" + secrets.token_hex(3).upper(),
        name=" ".join(form.get("name", "").split()),
        description=form.get("description", "").strip(),
        price=form.get("price", "").strip(),
        category=category,
        colors=form.get("colors", "").strip(),
        stock=form.get("stock", "0").strip() or "0",
        sizes=sizes,
        attributes={k: form.get(k, "").strip() for k in FASHION_ATTRIBUTES},
        images=images,
        shown_stock=_quantity(form.get("shown_stock", "")),
        shown_size_stock=_shown_size_stock(form.getlist("shown_size_stock")),
    )
    errors = parsed.errors
    if not parsed.name:
        errors["name"] = "Give the product a name customers will recognise."
    elif len(parsed.name) > MAX_NAME:
        errors["name"] = f"Keep the name under {MAX_NAME} characters."
    if len(parsed.description) > MAX_DESCRIPTION:
        errors["description"] = f"Keep the description under {MAX_DESCRIPTION} characters."
    try:
        if parsed.price_value <= 0:
            errors["price"] = "The price must be more than 0."
    except InvalidOperation:
        errors["price"] = "Write the price in shillings, like 2500."
    if unknown:
        errors["sizes"] = f"Unknown size {', '.join(unknown)}: use {SIZES_ACCEPTED}."
    elif len({s for s, _ in sizes}) != len(sizes):
        errors["sizes"] = "Each size once, please."
    elif any(_whole_number(q) is None for _, q in sizes):
        errors["sizes"] = "Stock per size must be a whole number (0 or more)."
    if not sizes and _whole_number(parsed.stock) is None:
        errors["stock"] = "Stock must be a whole number (0 or more)."
    return parsed
