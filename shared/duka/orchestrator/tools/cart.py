"""Cart tools: every change is checked against the product's real stock, sizes and price."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from duka.catalog.sizes import match_size
from duka.db.pool import Connection
from duka.errors import Rejected
from duka.orchestrator.cart_model import Cart, CartItem
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.tools.registry import ToolInputInvalid, tool
from duka.store import products as product_store


class OutOfStock(Rejected):
    """A final business outcome: not enough of this product (in this size) is left."""

    def __init__(self, name: str, available: int, size: str | None) -> None:
        super().__init__(f"only {available} of {name} left" + (f" in size {size}" if size else ""))
        self.name, self.available, self.size = name, available, size


class SizeUnavailable(Rejected):
    """The product doesn't come in the asked size; `sizes` lists what it does come in."""

    def __init__(self, name: str, size: str, sizes: list[str]) -> None:
        super().__init__(f"{name} does not come in size {size}")
        self.name, self.size, self.sizes = name, size, sizes


class AddArgs(BaseModel):
    product_id: str
    quantity: int = Field(default=1, ge=1, le=20)
    size: str | None = None
    color: str | None = None


class RemoveArgs(BaseModel):
    product_id: str
    size: str | None = None
    quantity: int | None = Field(default=None, ge=0, le=20)  # None removes the line


class NoArgs(BaseModel):
    pass


class ItemAction(BaseModel):
    """What the model writes for a cart change: the item's number in PRODUCTS, not an id."""

    item_number: int | None = None
    size: str | None = None
    quantity: int | None = None


def _save(deps: TurnDeps, cart: Cart) -> Cart:
    deps.state.cart = cart.model_copy(deep=True)
    return cart


def sizes_of(product: dict[str, Any]) -> list[str]:
    attrs = product.get("attrs") or {}
    return [str(s).upper() for s in (attrs.get("sizes") or []) if str(s).lower() != "free"]


def stock_for(conn: Connection, product: dict[str, Any], size: str | None) -> int:
    """Pieces available: the product's stock, and its size's stock when sizes are tracked."""
    if size:
        row = conn.execute(
            "SELECT stock FROM product_stock WHERE product_id = %s AND size = %s",
            (product["id"], size),
        ).fetchone()
        if row is not None:
            return min(int(row["stock"]), int(product["stock"]))
    return int(product["stock"])


def check_available(
    conn: Connection, product: dict[str, Any], size: str | None, quantity: int
) -> None:
    sizes = sizes_of(product)
    name = str(product["name"])
    if size and sizes and size.upper() not in sizes:
        raise SizeUnavailable(name, size, sizes)
    available = stock_for(conn, product, size)
    if quantity > available:
        raise OutOfStock(name, available, size)


def _product(deps: TurnDeps, product_id: str) -> dict[str, Any]:
    product = product_store.get_product(deps.conn, product_id)
    if product is None or not product["active"]:
        raise ToolInputInvalid(f"unknown product {product_id}")
    return product


@tool("cart", AddArgs, model_args=ItemAction)
def add_to_cart(
    deps: TurnDeps,
    product_id: str,
    quantity: int = 1,
    size: str | None = None,
    color: str | None = None,
) -> Cart:
    """Add a product (in a size, if it has sizes) to the customer's cart."""
    product = _product(deps, product_id)
    if size:  # the product's own spelling: "32" on jeans in waist sizes is W32
        size = match_size(size, sizes_of(product)) or size.upper()
    cart = deps.state.current_cart()
    existing = cart.find(product_id, size)
    wanted = quantity + (existing.quantity if existing else 0)
    check_available(deps.conn, product, size, wanted)
    if existing:
        existing.quantity = wanted
    else:
        cart.items.append(
            CartItem(
                product_id=product_id,
                sku=str(product["sku"]),
                name=str(product["name"]),
                quantity=quantity,
                unit_price=Decimal(str(product["price"])),
                size=size,
                color=color,
            )
        )
    return _save(deps, cart)


@tool("cart", RemoveArgs, model_args=ItemAction)
def remove_from_cart(
    deps: TurnDeps, product_id: str, size: str | None = None, quantity: int | None = None
) -> Cart:
    """Remove a product from the cart, or set its quantity (0 removes it)."""
    cart = deps.state.current_cart()
    matches = [
        i
        for i in cart.items
        if i.product_id == product_id and (size is None or i.size == size.upper())
    ]
    if not matches:
        raise ToolInputInvalid("that item is not in the cart")
    item = matches[0]
    if quantity:
        check_available(deps.conn, _product(deps, item.product_id), item.size, quantity)
        item.quantity = quantity
    else:
        cart.items.remove(item)
    return _save(deps, cart)


@tool("cart", NoArgs)
def get_cart(deps: TurnDeps) -> Cart:
    """The cart with current database prices."""
    cart = deps.state.current_cart()
    for item in cart.items:
        product = product_store.get_product(deps.conn, item.product_id)
        if product is not None:
            item.unit_price = Decimal(str(product["price"]))
    return _save(deps, cart)


@tool("cart", NoArgs, model_args=NoArgs)
def clear_cart(deps: TurnDeps) -> Cart:
    """Empty the cart."""
    return _save(deps, Cart())
