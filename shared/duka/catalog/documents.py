"""What a product looks like to search: keyword text, facets, and the text that is embedded."""

from __future__ import annotations

import hashlib
from typing import Any

from duka.catalog.words import canonical_category, canonical_colour, product_tags
from duka.images.findings import ImageAnalysis

_LIST_ATTRS = ("colors", "sizes")


def _attrs(product: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = product.get("attrs") or {}
    return attrs


def colours_of(product: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(c) for c in _attrs(product).get("colors", []))


def sizes_of(product: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(s) for s in _attrs(product).get("sizes", []))


def _other_attributes(product: dict[str, Any]) -> list[str]:
    return [
        f"{key}: {value}"
        for key, value in sorted(_attrs(product).items())
        if key not in _LIST_ATTRS and isinstance(value, str | int | float)
    ]


def tags(product: dict[str, Any]) -> list[str]:
    return product_tags(product.get("category") or "", product["name"], colours_of(product))


def embedding_text(product: dict[str, Any], photo: ImageAnalysis | None) -> str:
    """Natural English for the embedding model: the fields a shopper would read."""
    category = product.get("category") or ""
    colours = [canonical_colour(c) or c for c in colours_of(product)]
    parts = [
        product["name"],
        canonical_category(category) or category,
        product.get("description") or "",
        f"Colours: {', '.join(colours)}" if colours else "",
        f"Sizes: {', '.join(sizes_of(product))}" if sizes_of(product) else "",
        *_other_attributes(product),
        f"Photo: {photo.description}" if photo and photo.description else "",
    ]
    return ". ".join(p.strip().rstrip(".") for p in parts if p.strip())


def search_text(product: dict[str, Any], photo: ImageAnalysis | None) -> str:
    """Lower-case keyword text: the embedded text plus the SKU and canonical facet words."""
    facets = " ".join(tag.split(":", 1)[1] for tag in tags(product))
    return f"{product['sku']} {embedding_text(product, photo)} {facets}".lower()


def content_hash(model: str, text: str, facets: list[str]) -> str:
    """Changes when anything search reads changes, including the embedding model."""
    return hashlib.sha256("\n".join([model, text, *facets]).encode()).hexdigest()
