"""Product search for the orchestrator: hybrid (vector + keyword + facets), tenant-scoped.

`conn` is always a tenant_transaction connection, so RLS already limits every query to one
boutique; results are in stock, honour hard filters, and come in a deterministic order.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from duka.catalog import retrieval
from duka.catalog.documents import colours_of, sizes_of
from duka.catalog.scoring import Wanted, score
from duka.catalog.sizes import FREE, match_size
from duka.catalog.words import canonical_size, concepts, expanded_query
from duka.db.pool import Connection
from duka.embeddings import get_embedder
from duka.images.analysis import analyze_image
from duka.images.findings import ImageAnalysis
from duka.llm import LLMUnavailable
from duka.logs import log

__all__ = [
    "ImageAnalysis",
    "ProductHit",
    "SearchQuery",
    "active_embedding_model",
    "analyze_image",
    "embed_query",
    "search_products",
    "search_similar_products",
]

logger = logging.getLogger(__name__)

CANDIDATES = 60  # per retrieval route; the blend then re-ranks their union
RELATIVE_CUTOFF = 0.6  # drop hits scoring under this share of the best one
_TENANT_SIZE_TTL = 300.0


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    categories: tuple[str, ...] = ()  # normalised English garment words ("dress", "skirt", ...)
    colors: tuple[str, ...] = ()  # normalised English colour names
    size: str | None = None  # customer's size: in-stock-in-size ranks first
    max_price: Decimal | None = None
    limit: int = 5


@dataclass(frozen=True)
class ProductHit:
    id: str
    sku: str
    name: str
    price: Decimal
    stock: int
    category: str
    colors: tuple[str, ...]
    sizes: tuple[str, ...]
    images: tuple[str, ...]
    description: str
    score: float
    has_size: bool


def active_embedding_model() -> str:
    """e.g. "all-MiniLM-L6-v2@384" or "gemini-embedding-001@768"."""
    return get_embedder().name


def embed_query(text: str) -> list[float]:
    """A query vector from the active model; raises LLMUnavailable when Gemini fails."""
    return list(_cached_query_vector(get_embedder().name, text))


@lru_cache(maxsize=2048)
def _cached_query_vector(model: str, text: str) -> tuple[float, ...]:
    # Customers repeat themselves ("red dress"); the model name keys the cache, so a vector of
    # one model is never served after switching to another. Failures are not cached.
    return tuple(get_embedder().embed([text], "RETRIEVAL_QUERY")[0])


def search_products(conn: Connection, query: SearchQuery) -> list[ProductHit]:
    return _search(conn, query, photo=None)


def search_similar_products(
    conn: Connection, image: bytes, content_type: str, *, size: str | None = None, limit: int = 5
) -> tuple[ImageAnalysis, list[ProductHit]]:
    """Photo -> garment analysis -> products that look like it. Raises ImageUnreadable."""
    analysis = analyze_image(image, content_type)
    # Gemini names the garment reliably enough to filter by it; pixels never name one.
    categories = (analysis.garment,) if analysis.garment else ()
    query = SearchQuery(text=analysis.description, categories=categories, size=size, limit=limit)
    return analysis, _search(conn, query, photo=analysis)


def _search(conn: Connection, query: SearchQuery, photo: ImageAnalysis | None) -> list[ProductHit]:
    business_id = _current_business(conn)
    filters = retrieval.Filters(
        business_id=business_id,
        categories=tuple(c.lower() for c in query.categories),
        colors=tuple(c.lower() for c in query.colors),
        max_price=query.max_price,
    )
    asked = tuple(concepts(query.text))
    wanted = Wanted(
        concepts=asked,
        colours=frozenset(filters.colors) | {c.colour for c in asked if c.colour},
        categories=frozenset(filters.categories) | {c.category for c in asked if c.category},
        photo=photo,
    )
    model = active_embedding_model()
    vector = _query_vector(query.text, business_id) if query.text.strip() else None
    ids: dict[str, None] = {}
    if vector is not None:
        strategy = _strategy(conn, business_id, model)
        hits = retrieval.nearest(
            conn, filters, vector, model=model, limit=CANDIDATES, strategy=strategy
        )
        ids.update(dict.fromkeys(product_id for product_id, _ in hits))
    forms = sorted({form for concept in asked for form in concept.forms})
    ids.update(dict.fromkeys(retrieval.keyword_candidates(conn, filters, forms, limit=CANDIDATES)))
    if not query.text.strip():
        ids.update(dict.fromkeys(retrieval.filtered_listing(conn, filters, limit=CANDIDATES)))
    rows = retrieval.fetch_candidates(conn, list(ids), vector, model)
    return _rank(rows, wanted, query)


def _rank(rows: list[dict[str, Any]], wanted: Wanted, query: SearchQuery) -> list[ProductHit]:
    size = canonical_size(query.size) if query.size else None
    hits = [_hit(row, round(score(row, wanted), 4), size) for row in rows]
    if hits:
        best = max(hit.score for hit in hits)
        hits = [hit for hit in hits if hit.score >= RELATIVE_CUTOFF * best]
    hits.sort(key=lambda h: (not h.has_size if size else False, -h.score, h.sku))
    return hits[: query.limit]


def _hit(row: dict[str, Any], value: float, size: str | None) -> ProductHit:
    sizes = sizes_of(row)
    offered = {canonical_size(s) for s in sizes}
    return ProductHit(
        id=str(row["id"]),
        sku=row["sku"],
        name=row["name"],
        price=row["price"],
        stock=int(row["stock"]),
        category=row["category"],
        colors=colours_of(row),
        sizes=sizes,
        images=tuple(row["images"] or ()),
        description=row["description"],
        score=value,
        has_size=size is not None and (match_size(size, offered) is not None or FREE in offered),
    )


def _current_business(conn: Connection) -> str:
    row = conn.execute("SELECT app_business_id() AS id").fetchone()
    if row is None or row["id"] is None:
        raise RuntimeError("search needs a tenant_transaction connection (no tenant is set)")
    return str(row["id"])


def _query_vector(text: str, business_id: str) -> list[float] | None:
    """None when the model is unavailable: search goes on with keywords and facets only."""
    try:
        return embed_query(expanded_query(text))
    except LLMUnavailable as exc:
        log(
            logger,
            logging.WARNING,
            "query embedding unavailable; keyword-only ranking",
            business_id=business_id,
            reason=exc.reason,
            detail=exc.detail,
        )
        return None


_tenant_sizes: dict[tuple[str, str], tuple[float, int]] = {}
_tenant_sizes_lock = threading.Lock()


def _strategy(conn: Connection, business_id: str, model: str) -> retrieval.Strategy:
    """The tenant's size decides (cached for a few minutes: catalogues grow slowly)."""
    if model not in retrieval.HNSW_INDEXED:
        return "exact"
    key = (business_id, model)
    now = time.monotonic()
    with _tenant_sizes_lock:
        cached = _tenant_sizes.get(key)
    if cached is None or cached[0] < now:
        count = retrieval.searchable_count(conn, business_id, model)
        with _tenant_sizes_lock:
            _tenant_sizes[key] = (now + _TENANT_SIZE_TTL, count)
    else:
        count = cached[1]
    return retrieval.choose_strategy(model, count)
