"""Product tools: what the boutique has, at database prices and stock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from duka.catalog.search import ProductHit, SearchQuery
from duka.catalog.search import search_products as _search
from duka.orchestrator.context import ToolContext
from duka.orchestrator.tools.registry import ToolInputInvalid, tool
from duka.store import products as product_store


class InventoryArgs(BaseModel):
    limit: int = Field(default=10, ge=1, le=50)


class SearchArgs(BaseModel):
    text: str = ""
    categories: list[str] = []
    colors: list[str] = []
    size: str | None = None
    max_price: Decimal | None = None
    limit: int = Field(default=5, ge=1, le=10)


class SimilarArgs(BaseModel):
    image_url: str
    size: str | None = None
    limit: int = Field(default=3, ge=1, le=10)


class ProductArgs(BaseModel):
    product_id: str


@tool("product", InventoryArgs)
def get_inventory(ctx: ToolContext, args: InventoryArgs) -> list[dict[str, Any]]:
    """List in-stock products, newest first."""
    return ctx.conn.execute(
        "SELECT id, sku, name, price, stock, category FROM products WHERE active AND stock > 0"
        " ORDER BY created_at DESC, sku LIMIT %s",
        (args.limit,),
    ).fetchall()


@tool("product", SearchArgs)
def search_products(ctx: ToolContext, args: SearchArgs) -> list[ProductHit]:
    """Find in-stock products matching words, garment types, colours, size and a price ceiling."""
    query = SearchQuery(
        text=args.text,
        categories=tuple(args.categories),
        colors=tuple(args.colors),
        size=args.size,
        max_price=args.max_price,
        limit=args.limit,
    )
    return _search(ctx.conn, query)


@tool("product", SimilarArgs)
def search_similar_products(ctx: ToolContext, args: SimilarArgs) -> Any:
    """Find in-stock products that look like the customer's photo."""
    from duka.catalog.search import search_similar_products as similar
    from duka.orchestrator.tools.images import DownloadArgs, download_whatsapp_image

    media = download_whatsapp_image(ctx, DownloadArgs(media_url=args.image_url))
    return similar(ctx.conn, media.data, media.content_type, size=args.size, limit=args.limit)


@tool("product", ProductArgs)
def get_product_details(ctx: ToolContext, args: ProductArgs) -> dict[str, Any]:
    """Name, description, price, stock, sizes and colours of one product."""
    product = product_store.get_product(ctx.conn, args.product_id)
    if product is None or not product["active"]:
        raise ToolInputInvalid(f"unknown product {args.product_id}")
    return product
