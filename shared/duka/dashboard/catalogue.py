"""Saving products from the dashboard; every change is announced so search re-indexes it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from duka.dashboard.product_form import ProductForm
from duka.db.pool import Connection
from duka.errors import Rejected
from duka.store import outbox
from duka.store.products import PRODUCT_CHANGED


class SkuTaken(Rejected):
    """Another product of this boutique already uses the SKU: the owner picks another."""


class StockChanged(Rejected):
    """The owner changed stock the form showed, but an order reserved or released pieces since:
    nothing is saved, the owner checks the stock as it is now and saves again."""

    def __init__(self, stock: int, size_stock: dict[str, int]) -> None:
        sizes = ", ".join(f"{size} {count}" for size, count in sorted(size_stock.items()))
        super().__init__(
            "Stock changed while you were editing (an order reserved or released pieces):"
            f" it is now {stock}{f' ({sizes})' if sizes else ''}. Check and save again."
        )
        self.stock = stock
        self.size_stock = size_stock


def _announce(conn: Connection, business_id: str, product_id: str) -> None:
    payload = {"business_id": business_id, "product_id": product_id}
    outbox.enqueue(conn, business_id, PRODUCT_CHANGED, payload)


def _check_sku(conn: Connection, sku: str, product_id: UUID | None) -> None:
    row = conn.execute(
        "SELECT name FROM products WHERE sku = %s AND id IS DISTINCT FROM %s", (sku, product_id)
    ).fetchone()
    if row is not None:
        raise SkuTaken(f"SKU {sku} is already used by “{row['name']}”.")


def _values(form: ProductForm) -> tuple[Any, ...]:
    return (
        form.sku,
        form.name,
        form.description,
        form.price_value,
        form.total_stock,
        form.category,
        Jsonb(form.attrs()),
        form.images,
    )


def _save_size_stock(
    conn: Connection, business_id: str, product_id: str, form: ProductForm
) -> None:
    """Stock per size lives in product_stock (checkout reserves from it); none = one total."""
    by_size = form.stock_by_size
    conn.execute(
        "DELETE FROM product_stock WHERE product_id = %s AND NOT size = ANY(%s)",
        (product_id, list(by_size)),
    )
    for size, stock in by_size.items():
        conn.execute(
            "INSERT INTO product_stock (business_id, product_id, size, stock)"
            " VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (product_id, size) DO UPDATE SET stock = EXCLUDED.stock",
            (business_id, product_id, size, stock),
        )


def size_stock(conn: Connection, product_id: UUID) -> dict[str, int]:
    rows = conn.execute(
        "SELECT size, stock FROM product_stock WHERE product_id = %s", (product_id,)
    ).fetchall()
    return {r["size"]: int(r["stock"]) for r in rows}


def create_product(conn: Connection, business_id: str, form: ProductForm) -> str:
    _check_sku(conn, form.sku, None)
    row = conn.execute(
        "INSERT INTO products (sku, name, description, price, stock, category, attrs, images,"
        " business_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (*_values(form), business_id),
    ).fetchone()
    assert row is not None
    product_id = str(row["id"])
    _save_size_stock(conn, business_id, product_id, form)
    _announce(conn, business_id, product_id)
    return product_id


def _lock_stock(conn: Connection, product_id: UUID) -> tuple[int, dict[str, int]] | None:
    """The product's stock and stock per size, locked in the order checkout reserves them
    (product row, then its sizes), so no reservation slips in until this transaction ends."""
    row = conn.execute(
        "SELECT stock FROM products WHERE id = %s FOR UPDATE", (product_id,)
    ).fetchone()
    if row is None:
        return None
    sizes = conn.execute(
        "SELECT size, stock FROM product_stock WHERE product_id = %s ORDER BY size FOR UPDATE",
        (product_id,),
    ).fetchall()
    return int(row["stock"]), {r["size"]: int(r["stock"]) for r in sizes}


def update_product(conn: Connection, business_id: str, product_id: UUID, form: ProductForm) -> bool:
    """Save the edit. Stock is written only when the owner changed it, and only if it is still
    what the form showed (compare-and-set); else StockChanged, and nothing is saved."""
    _check_sku(conn, form.sku, product_id)
    current = _lock_stock(conn, product_id)
    if current is None:
        return False
    write_stock = form.stock_touched()
    if write_stock and current != (form.shown_stock, form.shown_size_stock):
        raise StockChanged(*current)
    conn.execute(
        "UPDATE products SET sku = %s, name = %s, description = %s, price = %s,"
        " stock = CASE WHEN %s THEN %s ELSE stock END, category = %s, attrs = %s, images = %s,"
        " updated_at = now() WHERE id = %s",
        (
            form.sku,
            form.name,
            form.description,
            form.price_value,
            write_stock,
            form.total_stock,
            form.category,
            Jsonb(form.attrs()),
            form.images,
            product_id,
        ),
    )
    if write_stock:
        _save_size_stock(conn, business_id, str(product_id), form)
    _announce(conn, business_id, str(product_id))
    return True


def get_product(conn: Connection, product_id: UUID) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM products WHERE id = %s", (product_id,)).fetchone()


def is_referenced(conn: Connection, product_id: UUID) -> bool:
    """On an order or in a customer's cart: keep the row (archive) so those stay readable."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM order_items WHERE product_id = %s)"
        " OR EXISTS (SELECT 1 FROM conversations WHERE metadata->'cart'->'items'"
        "   @> jsonb_build_array(jsonb_build_object('product_id', %s::text))) AS used",
        (product_id, str(product_id)),
    ).fetchone()
    return bool(row and row["used"])


def set_active(conn: Connection, product_id: UUID, active: bool) -> bool:
    row = conn.execute(
        "UPDATE products SET active = %s WHERE id = %s RETURNING id", (active, product_id)
    ).fetchone()
    return row is not None


def delete_or_archive(conn: Connection, product_id: UUID) -> str | None:
    """Delete a product nobody ordered; archive one that orders or carts still name."""
    if get_product(conn, product_id) is None:
        return None
    if is_referenced(conn, product_id):
        set_active(conn, product_id, False)
        return "archived"
    conn.execute("DELETE FROM products WHERE id = %s", (product_id,))
    return "deleted"


def list_products(conn: Connection, *, query: str, archived: bool) -> list[dict[str, Any]]:
    pattern = f"%{query.strip()}%"
    return conn.execute(
        "SELECT id, sku, name, price, stock, category, attrs, images, active,"
        " (indexed_at IS NOT NULL AND indexed_at >= updated_at) AS indexed,"
        " (SELECT jsonb_object_agg(size, stock) FROM product_stock s"
        "   WHERE s.product_id = products.id) AS size_stock"
        " FROM products WHERE active = %s AND (name ILIKE %s OR sku ILIKE %s"
        " OR category ILIKE %s OR description ILIKE %s)"
        " ORDER BY updated_at DESC, name LIMIT 500",
        (not archived, pattern, pattern, pattern, pattern),
    ).fetchall()


def categories(conn: Connection) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT category FROM products WHERE category <> '' ORDER BY category"
    ).fetchall()
    return [r["category"] for r in rows]
