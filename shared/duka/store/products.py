"""Products: catalogue rows, their search index entry, and keyword search within one business."""

from __future__ import annotations

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
    """Insert or update by SKU; each change is announced on product-changed via the outbox.

    An item's stock is what is on the shelf, pieces held by unpaid orders included: the stock
    left to sell becomes that minus the pieces still reserved (never below 0), so a re-import
    neither loses a reservation nor, when the order expires and its pieces come back, invents
    phantom ones. The product row is locked first, so a checkout reserving at the same moment
    is either counted as held or sees the new stock.
    """
    ids: list[str] = []
    for item in items:
        conn.execute(
            "SELECT id FROM products WHERE business_id = %s AND sku = %s FOR UPDATE",
            (business_id, item.sku),
        )
        row = conn.execute(
            "INSERT INTO products (business_id, sku, name, description, price, stock, category,"
            " attrs, images) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (business_id, sku) DO UPDATE SET name = EXCLUDED.name,"
            " description = EXCLUDED.description, price = EXCLUDED.price,"
            " stock = GREATEST(0, EXCLUDED.stock - (SELECT COALESCE(sum(r.quantity), 0)"
            "   FROM stock_reservations r WHERE r.product_id = products.id"
            "   AND r.state = 'reserved')),"
            " category = EXCLUDED.category, attrs = EXCLUDED.attrs,"
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


@dataclass(frozen=True)
class IndexEntry:
    """Everything search reads about a product, rebuilt together by embed_product."""

    search_text: str
    search_tags: list[str]
    content_hash: str
    embedding: list[float] | None
    embedding_model: str
    image_analysis: dict[str, Any] | None


def save_index(conn: Connection, product_id: str, seen_updated_at: Any, entry: IndexEntry) -> bool:
    """Store the entry unless the product changed since it was read (its own event follows)."""
    vector = None if entry.embedding is None else "[" + ",".join(map(str, entry.embedding)) + "]"
    row = conn.execute(
        "UPDATE products SET search_text = %s, search_tags = %s, content_hash = %s,"
        " embedding = %s::vector, embedding_model = %s, image_analysis = %s, indexed_at = now()"
        " WHERE id = %s AND updated_at = %s RETURNING id",
        (
            entry.search_text,
            entry.search_tags,
            entry.content_hash,
            vector,
            entry.embedding_model,
            None if entry.image_analysis is None else Jsonb(entry.image_analysis),
            product_id,
            seen_updated_at,
        ),
    ).fetchone()
    return row is not None


def mark_indexed(conn: Connection, product_id: str, seen_updated_at: Any) -> bool:
    """Nothing to rebuild: record that the entry is current for this version of the product."""
    row = conn.execute(
        "UPDATE products SET indexed_at = now() WHERE id = %s AND updated_at = %s RETURNING id",
        (product_id, seen_updated_at),
    ).fetchone()
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


def products_by_stock(
    conn: Connection, business_id: str, *, in_stock: bool, category: str | None = None
) -> list[dict[str, Any]]:
    """The boutique's active products in stock (or sold out), optionally of one category.

    Product answers match names against these (a style's other colours, a sold-out item the
    customer names); a boutique has hundreds of products, not millions, so a list is fine.
    """
    return conn.execute(
        "SELECT id, sku, name, description, price, stock, category, attrs, images"
        " FROM products WHERE business_id = %s AND active AND (stock > 0) = %s"
        " AND (%s::text IS NULL OR category = %s) ORDER BY sku LIMIT 2000",
        (business_id, in_stock, category, category),
    ).fetchall()


def size_stock(conn: Connection, product_id: str) -> dict[str, int]:
    """Stock per size (product_stock); empty when the product tracks one total."""
    rows = conn.execute(
        "SELECT size, stock FROM product_stock WHERE product_id = %s", (product_id,)
    ).fetchall()
    return {str(r["size"]): int(r["stock"]) for r in rows}
