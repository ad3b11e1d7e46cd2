"""Cart tools: every change is checked against the product's real stock, sizes and price."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from duka.db.pool import Connection
from duka.orchestrator.cart import Cart, CartItem
from duka.orchestrator.context import ToolContext
from duka.orchestrator.tools.registry import ToolInputInvalid, tool
from duka.store import products as product_store


class OutOfStock(Exception):
    """A final business outcome: not enough of this product (in this size) is left."""

    def __init__(self, name: str, available: int, size: str | None) -> None:
        super().__init__(f"only {available} of {name} left" + (f" in size {size}" if size else ""))
        self.name, self.available, self.size = name, available, size


class SizeUnavailable(Exception):
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


def _cart(ctx: ToolContext) -> Cart:
    return Cart.from_metadata(ctx.metadata)


def _save(ctx: ToolContext, cart: Cart) -> Cart:
    ctx.metadata["cart"] = cart.to_metadata()
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


def _product(ctx: ToolContext, product_id: str) -> dict[str, Any]:
    product = product_store.get_product(ctx.conn, product_id)
    if product is None or not product["active"]:
        raise ToolInputInvalid(f"unknown product {product_id}")
    return product


@tool("cart", AddArgs)
def add_to_cart(ctx: ToolContext, args: AddArgs) -> Cart:
    """Add a product (in a size, if it has sizes) to the customer's cart."""
    product = _product(ctx, args.product_id)
    size = args.size.upper() if args.size else None
    cart = _cart(ctx)
    existing = cart.find(args.product_id, size)
    wanted = args.quantity + (existing.quantity if existing else 0)
    check_available(ctx.conn, product, size, wanted)
    if existing:
        existing.quantity = wanted
    else:
        cart.items.append(
            CartItem(
                product_id=args.product_id,
                sku=str(product["sku"]),
                name=str(product["name"]),
                quantity=args.quantity,
                unit_price=Decimal(str(product["price"])),
                size=size,
                color=args.color,
            )
        )
    return _save(ctx, cart)


@tool("cart", RemoveArgs)
def remove_from_cart(ctx: ToolContext, args: RemoveArgs) -> Cart:
    """Remove a product from the cart, or set its quantity (0 removes it)."""
    cart = _cart(ctx)
    matches = [
        i
        for i in cart.items
        if i.product_id == args.product_id and (args.size is None or i.size == args.size.upper())
    ]
    if not matches:
        raise ToolInputInvalid("that item is not in the cart")
    item = matches[0]
    if args.quantity:
        check_available(ctx.conn, _product(ctx, item.product_id), item.size, args.quantity)
        item.quantity = args.quantity
    else:
        cart.items.remove(item)
    return _save(ctx, cart)


@tool("cart", NoArgs)
def get_cart(ctx: ToolContext, args: NoArgs) -> Cart:
    """The cart with current database prices."""
    cart = _cart(ctx)
    for item in cart.items:
        product = product_store.get_product(ctx.conn, item.product_id)
        if product is not None:
            item.unit_price = Decimal(str(product["price"]))
    return _save(ctx, cart)


@tool("cart", NoArgs)
def clear_cart(ctx: ToolContext, args: NoArgs) -> Cart:
    """Empty the cart."""
    return _save(ctx, Cart([]))
