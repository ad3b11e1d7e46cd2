"""Product tools: what the boutique has, at database prices and stock."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from duka.catalog.search import ProductHit, SearchQuery
from duka.catalog.search import search_products as _search
from duka.catalog.search import search_similar_products as _similar
from duka.images.findings import ImageAnalysis
from duka.media import download_media
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.tools.registry import ToolInputInvalid, tool
from duka.store import products as product_store


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


@tool("product", SearchArgs)
def search_products(
    deps: TurnDeps,
    text: str = "",
    categories: Sequence[str] = (),
    colors: Sequence[str] = (),
    size: str | None = None,
    max_price: Decimal | None = None,
    limit: int = 5,
) -> list[ProductHit]:
    """Find in-stock products matching words, garment types, colours, size and a price ceiling."""
    query = SearchQuery(
        text=text,
        categories=tuple(categories),
        colors=tuple(colors),
        size=size,
        max_price=max_price,
        limit=limit,
    )
    return _search(deps.conn, query)


@tool("product", SimilarArgs)
def search_similar_products(
    deps: TurnDeps, image_url: str, size: str | None = None, limit: int = 3
) -> tuple[ImageAnalysis, list[ProductHit]]:
    """Find in-stock products that look like the customer's photo (fetched from Twilio only)."""
    media = download_media(image_url)
    return _similar(deps.conn, media.data, media.content_type, size=size, limit=limit)


@tool("product", ProductArgs)
def get_product_details(deps: TurnDeps, product_id: str) -> dict[str, Any]:
    """Name, description, price, stock, sizes and colours of one product."""
    product = product_store.get_product(deps.conn, product_id)
    if product is None or not product["active"]:
        raise ToolInputInvalid(f"unknown product {product_id}")
    return product
