"""Stock taken off the shelf while a payment is open: never below zero, per product and size.

Each piece is claimed with a conditional UPDATE, so concurrent checkouts serialise on the
product row and the loser sees the new count. Rows are touched in product order so two carts
holding the same products cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from duka.db.pool import Connection
from duka.errors import Rejected


class SoldOut(Rejected):
    """Final outcome: these products (by name) no longer have enough pieces."""

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__(f"sold out: {', '.join(names)}")
        self.names = tuple(names)


@dataclass(frozen=True)
class Claim:
    product_id: str
    name: str
    size: str | None
    quantity: int


def reserve(
    conn: Connection, *, business_id: str, order_id: str, attempt: int, claims: Sequence[Claim]
) -> None:
    """Reserve every claim or raise SoldOut naming all that ran out (the caller rolls back)."""
    sold_out: list[str] = []
    for claim in sorted(claims, key=lambda c: (c.product_id, c.size or "")):
        tracked, size = _size_row(conn, claim)
        if (tracked and size is None) or not _take(conn, claim, size):
            if claim.name not in sold_out:
                sold_out.append(claim.name)
            continue
        conn.execute(
            "INSERT INTO stock_reservations (business_id, order_id, attempt, product_id, size,"
            " quantity) VALUES (%s, %s, %s, %s, %s, %s)",
            (business_id, order_id, attempt, claim.product_id, size, claim.quantity),
        )
    if sold_out:
        raise SoldOut(sold_out)


def _size_row(conn: Connection, claim: Claim) -> tuple[bool, str | None]:
    """Whether the product tracks stock per size, and the size row this claim draws from."""
    sizes = conn.execute(
        "SELECT size FROM product_stock WHERE product_id = %s", (claim.product_id,)
    ).fetchall()
    wanted = (claim.size or "").strip().upper()
    return bool(sizes), next((row["size"] for row in sizes if row["size"] == wanted), None)


def _take(conn: Connection, claim: Claim, size: str | None) -> bool:
    taken = conn.execute(
        "UPDATE products SET stock = stock - %s WHERE id = %s AND active AND stock >= %s"
        " RETURNING id",
        (claim.quantity, claim.product_id, claim.quantity),
    ).fetchone()
    if taken is None:
        return False
    if size is None:
        return True
    return (
        conn.execute(
            "UPDATE product_stock SET stock = stock - %s WHERE product_id = %s AND size = %s"
            " AND stock >= %s RETURNING size",
            (claim.quantity, claim.product_id, size, claim.quantity),
        ).fetchone()
        is not None
    )


def release(conn: Connection, order_id: str) -> int:
    """Put an order's reserved pieces back on the shelf, once; returns how many rows."""
    rows = conn.execute(
        "UPDATE stock_reservations SET state = 'released', updated_at = now()"
        " WHERE order_id = %s AND state = 'reserved' RETURNING product_id, size, quantity",
        (order_id,),
    ).fetchall()
    put_back(conn, rows)
    return len(rows)


def put_back(conn: Connection, pieces: Sequence[Mapping[str, Any]]) -> None:
    """Add pieces (product_id, size, quantity) back to their product's and size's stock, in
    one fixed order so two concurrent put-backs cannot deadlock."""
    for row in sorted(pieces, key=lambda r: (str(r["product_id"]), r["size"] or "")):
        conn.execute(
            "UPDATE products SET stock = stock + %s WHERE id = %s",
            (row["quantity"], row["product_id"]),
        )
        if row["size"] is not None:
            conn.execute(
                "UPDATE product_stock SET stock = stock + %s WHERE product_id = %s AND size = %s",
                (row["quantity"], row["product_id"], row["size"]),
            )


def commit(conn: Connection, order_id: str) -> int:
    """The order is paid: its reserved pieces are sold."""
    return len(
        conn.execute(
            "UPDATE stock_reservations SET state = 'committed', updated_at = now()"
            " WHERE order_id = %s AND state = 'reserved' RETURNING id",
            (order_id,),
        ).fetchall()
    )


def set_size_stock(
    conn: Connection, business_id: str, product_id: str, stock_by_size: Mapping[str, int]
) -> None:
    """Track stock per size for a product; its total becomes the sum of the sizes."""
    if any(count < 0 for count in stock_by_size.values()):
        raise ValueError("stock per size cannot be negative")
    conn.execute("DELETE FROM product_stock WHERE product_id = %s", (product_id,))
    for size, count in stock_by_size.items():
        conn.execute(
            "INSERT INTO product_stock (business_id, product_id, size, stock)"
            " VALUES (%s, %s, %s, %s)",
            (business_id, product_id, size.strip().upper(), count),
        )
    conn.execute(
        "UPDATE products SET stock = %s WHERE id = %s", (sum(stock_by_size.values()), product_id)
    )
