"""The Products page's restock list: the demand waiting for sold-out sizes (open back-in-stock
alerts, `stock_alerts`), per product and size, so the owner knows what to order again. Read in
the owner's tenant transaction: another boutique's demand is never seen.
"""

from __future__ import annotations

from typing import Any

from duka.db.pool import Connection


def restock_list(conn: Connection) -> list[dict[str, Any]]:
    """Product, size, customers waiting and the oldest ask; most wanted first."""
    return conn.execute(
        "SELECT p.id AS product_id, p.name, a.size, count(*) AS waiting,"
        " min(a.created_at) AS oldest FROM stock_alerts a"
        " JOIN products p ON p.id = a.product_id"
        " WHERE a.closed_at IS NULL"
        " GROUP BY p.id, p.name, a.size ORDER BY count(*) DESC, min(a.created_at), p.name"
    ).fetchall()
