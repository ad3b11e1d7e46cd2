"""Product tools: what the boutique has, at database prices and stock."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from duka.catalog.search import ProductHit, SearchQuery
from duka.catalog.search import search_products as _search
from duka.catalog.search import search_similar_products as _similar
from duka.images.findings import ImageAnalysis
from duka.media import download_media
from duka.orchestrator import vocabulary as vocab
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.entities import normalize
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


class NamedArgs(BaseModel):
    text: str


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


_WORD = re.compile(r"[a-z0-9]+")


def style_of(name: str) -> tuple[str, ...]:
    """A product name without its colour words: "Black Wrap Dress" and "Wrap Dress (Red)" are
    one style."""
    return tuple(w for w in _WORD.findall(name.lower()) if w not in vocab.COLOURS)


def _colours(product: dict[str, Any]) -> set[str]:
    words = _WORD.findall(str(product["name"]).lower())
    named = {vocab.COLOURS[w] for w in words if w in vocab.COLOURS}
    return named | set((product.get("attrs") or {}).get("colors") or [])


@tool("product", ProductArgs)
def get_other_colours(deps: TurnDeps, product_id: str) -> list[dict[str, Any]]:
    """The same style (same name apart from colour words) in other colours, in stock."""
    product = get_product_details(deps, product_id=product_id)
    style, own = style_of(product["name"]), _colours(product)
    return [
        row
        for row in product_store.products_by_stock(
            deps.conn, deps.business_id, in_stock=True, category=product["category"]
        )
        if str(row["id"]) != str(product["id"])
        and style_of(row["name"]) == style
        and _colours(row) - own
    ]


@tool("product", NamedArgs)
def find_sold_out(deps: TurnDeps, text: str) -> dict[str, Any] | None:
    """The sold-out product a message names by its style name (every word of it), unless the
    message names an in-stock product as fully or asks for a colour the sold-out one lacks."""
    words = set(_WORD.findall(normalize(text)))
    colors = {vocab.COLOURS[w] for w in words if w in vocab.COLOURS}

    def named(row: dict[str, Any]) -> int:
        style = style_of(row["name"])
        return len(style) if len(style) >= 2 and set(style) <= words else 0

    sold_out = [
        row
        for row in product_store.products_by_stock(deps.conn, deps.business_id, in_stock=False)
        if named(row) and not (colors - _colours(row))
    ]
    if not sold_out:
        return None
    best = max(sold_out, key=named)
    in_stock = product_store.products_by_stock(deps.conn, deps.business_id, in_stock=True)
    if any(named(row) >= named(best) and _colours(row) & colors for row in in_stock):
        return None
    if any(named(row) > named(best) for row in in_stock):
        return None
    return best
