"""Keep a product's search entry in step with its content; unchanged content costs nothing."""

from __future__ import annotations

import logging

from duka.db.pool import tenant_transaction
from duka.logs import log
from duka.store import products

logger = logging.getLogger(__name__)


def index_product(business_id: str, product_id: str) -> bool:
    """Returns True when the entry was rebuilt, False when unchanged or the product is gone."""
    with tenant_transaction(business_id) as conn:
        product = products.get_product(conn, product_id)
        if product is None:
            log(
                logger,
                logging.WARNING,
                "product-changed for a missing product; acknowledged",
                business_id=business_id,
                product_id=product_id,
            )
            return False
        changed = products.save_search_document(conn, product_id, products.search_document(product))
    log(
        logger,
        logging.INFO,
        "product indexed",
        business_id=business_id,
        product_id=product_id,
        changed=changed,
    )
    return changed
