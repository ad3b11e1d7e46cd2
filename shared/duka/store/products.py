"""Products: catalogue rows, their search text, and keyword search within one business."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb

from duka.db.pool import Connection
from duka.store import outbox

PRODUCT_CHANGED = "product-changed"


@dataclass(frozen=True)
class ProductInput:
    sku: str
    name: str
    price: Decimal
    stock: int
    description: str = ""
    category: str = ""
    colors: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    extra_attrs: dict[str, Any] = field(default_factory=dict)

    def attrs(self) -> dict[str, Any]:
        return {**self.extra_attrs, "colors": list(self.colors), "sizes": list(self.sizes)}


def upsert_products(conn: Connection, business_id: str, items: Sequence[ProductInput]) -> list[str]:
    """Insert or update by SKU; each change is announced on product-changed via the outbox."""
    ids: list[str] = []
    for item in items:
        row = conn.execute(
            "INSERT INTO products (business_id, sku, name, description, price, stock, category,"
            " attrs, images) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (business_id, sku) DO UPDATE SET name = EXCLUDED.name,"
            " description = EXCLUDED.description, price = EXCLUDED.price,"
            " stock = EXCLUDED.stock, category = EXCLUDED.category, attrs = EXCLUDED.attrs,"
            " images = EXCLUDED.images, active = true, updated_at = now() RETURNING id",
            (
                business_id,
                item.sku,
                item.name,
                item.description,
                item.price,
                item.stock,
                item.category,
                Jsonb(item.attrs()),
                list(item.images),
            ),
        ).fetchone()
        assert row is not None
        product_id = str(row["id"])
        ids.append(product_id)
        outbox.enqueue(
            conn,
            business_id,
            PRODUCT_CHANGED,
            {"business_id": business_id, "product_id": product_id},
        )
    return ids


def get_product(conn: Connection, product_id: str) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM products WHERE id = %s", (product_id,)).fetchone()


def search_document(product: dict[str, Any]) -> str:
    """The text keyword search (and, later, the embedding) is built from."""
    attrs = product.get("attrs") or {}
    parts = [
        product["name"],
        product.get("description") or "",
        product.get("category") or "",
        product["sku"],
        " ".join(attrs.get("colors", [])),
        " ".join(str(s) for s in attrs.get("sizes", [])),
    ]
    return " ".join(p for p in parts if p).lower()


def content_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def save_search_document(conn: Connection, product_id: str, document: str) -> bool:
    """Store the search text; returns False when the content had not changed."""
    digest = content_hash(document)
    row = conn.execute(
        "UPDATE products SET search_text = %s, content_hash = %s, indexed_at = now()"
        " WHERE id = %s AND content_hash IS DISTINCT FROM %s RETURNING id",
        (document, digest, product_id, digest),
    ).fetchone()
    if row is None:
        conn.execute("UPDATE products SET indexed_at = now() WHERE id = %s", (product_id,))
    return row is not None


def count_unindexed(conn: Connection, product_ids: Sequence[str]) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM products WHERE id = ANY(%s::uuid[])"
        " AND (indexed_at IS NULL OR indexed_at < updated_at)",
        (list(product_ids),),
    ).fetchone()
    return int(row["n"]) if row else 0


def keyword_search(
    conn: Connection, words: Sequence[str], *, limit: int = 5
) -> list[dict[str, Any]]:
    """In-stock products whose search text contains any of the words, best matches first."""
    patterns = [f"%{w.lower()}%" for w in words if len(w) >= 3]
    if not patterns:
        return []
    return conn.execute(
        "SELECT id, sku, name, price, currency, stock, category, attrs, images,"
        " (SELECT count(*) FROM unnest(%s::text[]) p WHERE search_text LIKE p) AS hits"
        " FROM products WHERE active AND stock > 0 AND search_text LIKE ANY(%s::text[])"
        " ORDER BY hits DESC, price ASC, sku ASC LIMIT %s",
        (patterns, patterns, limit),
    ).fetchall()
