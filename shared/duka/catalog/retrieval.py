"""Candidate retrieval for search, in SQL: nearest vectors, keyword hits, filtered listings.

Vector search has two strategies (see docs/catalogue.md for the measurements):
- exact: read the tenant's rows through the (business_id, embedding_model) index and sort by
  distance. Always correct; fastest while a tenant has a few thousand products.
- hnsw: the model's partial HNSW index with pgvector's iterative scan, so filtering by tenant
  and facets after the graph walk still fills the LIMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from psycopg import sql

from duka.db.pool import Connection

Strategy = Literal["exact", "hnsw"]

# Models that migration 004 gave an HNSW index (the dimension is part of the index expression).
HNSW_INDEXED = {"all-MiniLM-L6-v2@384": 384, "gemini-embedding-001@768": 768}
HNSW_EF_SEARCH = 200
EXACT_MAX_ROWS = 5_000  # bench/results/search.json: exact p95 stays well under 15 ms up to here


def choose_strategy(model: str, searchable_products: int) -> Strategy:
    """Exact while the tenant is small (faster, perfect recall); HNSW for large tenants."""
    if model not in HNSW_INDEXED or searchable_products <= EXACT_MAX_ROWS:
        return "exact"
    return "hnsw"


@dataclass(frozen=True)
class Filters:
    """Hard filters: only in-stock products of this business that pass all of them."""

    business_id: str
    categories: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    max_price: Decimal | None = None

    def where(self) -> tuple[sql.Composable, dict[str, Any]]:
        clauses = [sql.SQL("business_id = %(business_id)s AND active AND stock > 0")]
        params: dict[str, Any] = {"business_id": self.business_id}
        if self.categories:
            clauses.append(sql.SQL("search_tags && %(category_tags)s::text[]"))
            params["category_tags"] = [f"category:{c}" for c in self.categories]
        if self.colors:
            clauses.append(sql.SQL("search_tags && %(color_tags)s::text[]"))
            params["color_tags"] = [f"color:{c}" for c in self.colors]
        if self.max_price is not None:
            clauses.append(sql.SQL("price <= %(max_price)s"))
            params["max_price"] = self.max_price
        return sql.SQL(" AND ").join(clauses), params


def vector_literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


def searchable_count(conn: Connection, business_id: str, model: str) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM products WHERE business_id = %s AND embedding_model = %s"
        " AND active AND stock > 0",
        (business_id, model),
    ).fetchone()
    return int(row["n"]) if row else 0


def nearest(
    conn: Connection,
    filters: Filters,
    vector: Sequence[float],
    *,
    model: str,
    limit: int,
    strategy: Strategy,
    ef_search: int = HNSW_EF_SEARCH,
) -> list[tuple[str, float]]:
    """(product id, cosine similarity) of the closest in-stock products, closest first."""
    where, params = filters.where()
    params.update(vector=vector_literal(vector), model=model, limit=limit)
    dimension = HNSW_INDEXED.get(model)
    if strategy == "hnsw" and dimension is not None:
        # The planner would pick the tenant index for most tenants; sorting is what that plan
        # needs, so forbidding it leaves the HNSW index scan (a local, per-transaction setting).
        conn.execute("SET LOCAL enable_sort = off")
        conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        distance: sql.Composable = sql.SQL(
            "embedding::vector({dim}) <=> %(vector)s::vector({dim})"
        ).format(dim=sql.Literal(dimension))
    else:
        distance = sql.SQL("embedding <=> %(vector)s::vector")
    query = sql.SQL(
        "SELECT id, distance FROM (SELECT id, {distance} AS distance FROM products"
        " WHERE embedding_model = %(model)s AND {where} ORDER BY distance LIMIT %(limit)s) t"
    ).format(distance=distance, where=where)
    rows = conn.execute(query, params).fetchall()
    if strategy == "hnsw":
        conn.execute("RESET enable_sort")
    # relaxed_order may return neighbours slightly out of order: sort here, ties by id.
    return sorted(((str(r["id"]), 1.0 - float(r["distance"])) for r in rows), key=_closest)


def _closest(hit: tuple[str, float]) -> tuple[float, str]:
    return (-round(hit[1], 6), hit[0])


def keyword_candidates(
    conn: Connection, filters: Filters, forms: Sequence[str], *, limit: int
) -> list[str]:
    """Products whose search text contains any form (or whose SKU is one), most forms first."""
    patterns = [f"%{form}%" for form in forms if len(form) >= 3]
    skus = [form.upper() for form in forms]
    if not patterns and not skus:
        return []
    where, params = filters.where()
    params.update(patterns=patterns, skus=skus, limit=limit)
    query = sql.SQL(
        "SELECT id FROM products WHERE {where}"
        " AND (search_text LIKE ANY(%(patterns)s::text[]) OR upper(sku) = ANY(%(skus)s::text[]))"
        " ORDER BY (SELECT count(*) FROM unnest(%(patterns)s::text[]) p"
        " WHERE search_text LIKE p) DESC, sku LIMIT %(limit)s"
    ).format(where=where)
    return [str(r["id"]) for r in conn.execute(query, params).fetchall()]


def filtered_listing(conn: Connection, filters: Filters, *, limit: int) -> list[str]:
    """With no words to rank by: the products passing the filters, best stocked first."""
    where, params = filters.where()
    params["limit"] = limit
    query = sql.SQL(
        "SELECT id FROM products WHERE {where} ORDER BY stock DESC, sku LIMIT %(limit)s"
    ).format(where=where)
    return [str(r["id"]) for r in conn.execute(query, params).fetchall()]


def fetch_candidates(
    conn: Connection, ids: Sequence[str], vector: Sequence[float] | None, model: str
) -> list[dict[str, Any]]:
    """The candidates' rows, with cosine similarity when their vector is of the active model."""
    if not ids:
        return []
    similarity = (
        "CASE WHEN embedding_model = %(model)s THEN 1 - (embedding <=> %(vector)s::vector) END"
        if vector is not None
        else "NULL::float8"
    )
    return conn.execute(
        "SELECT id, sku, name, description, price, stock, category, attrs, images, search_text,"
        f" search_tags, image_analysis, {similarity} AS semantic"
        " FROM products WHERE id = ANY(%(ids)s::uuid[])",
        {"ids": list(ids), "model": model, "vector": vector_literal(vector or [])},
    ).fetchall()
