"""`duka products reembed`: after switching embedding model, queue every stale product.

Each product gets a product-changed event through the outbox; embed_product (running with the
new model) rebuilds it. Until then search simply finds no vectors for those products and
ranks them by keywords: vectors of two models are never compared.
"""

from __future__ import annotations

import time
from collections import defaultdict

from duka.db.pool import tenant_transaction, transaction
from duka.embeddings import get_embedder
from duka.relay import relay_outbox
from duka.store import outbox
from duka.store.products import PRODUCT_CHANGED

MAX_ROWS = 1_000_000


def stale_products(model: str, business_id: str | None = None) -> dict[str, list[str]]:
    """Business id -> ids of its active products whose vector is not of `model`."""
    with transaction() as conn:
        rows = conn.execute(
            "SELECT * FROM products_not_embedded_with(%s, %s)", (model, MAX_ROWS)
        ).fetchall()
    stale: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if business_id is None or str(row["business_id"]) == business_id:
            stale[str(row["business_id"])].append(str(row["product_id"]))
    return dict(stale)


def reembed_products(model: str | None = None, *, business_id: str | None = None) -> int:
    """Queue a rebuild of every product not embedded with `model` (default: the active one)."""
    model = model or get_embedder().name
    stale = stale_products(model, business_id)
    for business_id, product_ids in stale.items():
        with tenant_transaction(business_id) as conn:
            for product_id in product_ids:
                payload = {"business_id": business_id, "product_id": product_id}
                outbox.enqueue(conn, business_id, PRODUCT_CHANGED, payload)
    relay_outbox(max_rows=MAX_ROWS)
    return sum(len(ids) for ids in stale.values())


def wait_until_embedded(
    model: str, *, business_id: str | None = None, timeout: float = 600.0
) -> None:
    deadline = time.monotonic() + timeout
    while remaining := sum(len(ids) for ids in stale_products(model, business_id).values()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{remaining} product(s) still not embedded with {model}")
        time.sleep(0.5)
