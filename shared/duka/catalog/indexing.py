"""Keep a product's search entry (text, facets, photo caption, embedding) in step with it.

Runs in embed_product for every product-changed event. The slow parts (image analysis, the
embedding) happen outside any transaction; the entry is written only if the product is still
the version that was read, so a redelivered or out-of-order event can never store stale data.
Unchanged content (same hash, same model) costs one read and no model call.
"""

from __future__ import annotations

import logging
from typing import Any

from duka.catalog import documents
from duka.db.pool import tenant_transaction
from duka.embeddings import get_embedder
from duka.images.analysis import analyze_image, preferred_source
from duka.images.findings import ImageAnalysis, ImageUnreadable
from duka.images.product_images import ImageUnavailable, load_product_image
from duka.logs import log
from duka.store import products

logger = logging.getLogger(__name__)


def index_product(business_id: str, product_id: str) -> bool:
    """True when the entry was rebuilt; False when unchanged, superseded or the product is gone.

    Raises (so Pub/Sub redelivers) when the embedding model or an image host is unavailable.
    """
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
    embedder = get_embedder()
    photo = _photo_analysis(product, business_id)
    text = documents.embedding_text(product, photo)
    facets = documents.tags(product)
    digest = documents.content_hash(embedder.name, text, facets)
    if digest == product["content_hash"] and product["embedding_model"] == embedder.name:
        with tenant_transaction(business_id) as conn:
            products.mark_indexed(conn, product_id, product["updated_at"])
        return False
    entry = products.IndexEntry(
        search_text=documents.search_text(product, photo),
        search_tags=facets,
        content_hash=digest,
        embedding=embedder.embed([text], "RETRIEVAL_DOCUMENT")[0],
        embedding_model=embedder.name,
        image_analysis=_stored(photo, product),
    )
    with tenant_transaction(business_id) as conn:
        saved = products.save_index(conn, product_id, product["updated_at"], entry)
    log(
        logger,
        logging.INFO,
        "product indexed" if saved else "product changed meanwhile; skipped",
        business_id=business_id,
        product_id=product_id,
        model=embedder.name,
    )
    return saved


def _stored(photo: ImageAnalysis | None, product: dict[str, Any]) -> dict[str, Any] | None:
    if photo is None:
        return None
    return {**photo.to_json(), "image": product["images"][0]}


def _photo_analysis(product: dict[str, Any], business_id: str) -> ImageAnalysis | None:
    """The first image's analysis: reused while the image and the analyser stay the same."""
    images = product.get("images") or []
    if not images:
        return None
    stored = product.get("image_analysis")
    if stored and stored.get("image") == images[0] and stored.get("source") == preferred_source():
        return ImageAnalysis.from_json(stored)
    try:
        data, content_type = load_product_image(images[0])
        return analyze_image(data, content_type)
    except (ImageUnavailable, ImageUnreadable) as exc:
        log(
            logger,
            logging.WARNING,
            "product image skipped",
            business_id=business_id,
            product_id=str(product["id"]),
            image=images[0],
            error=str(exc),
        )
        return None
