"""Embeddings: the local model, choosing the active one, and embed_product's indexing rules."""

from __future__ import annotations

import math
import uuid
from typing import Any

import psycopg
import pytest

from duka.catalog.indexing import index_product
from duka.catalog.reembed import reembed_products, wait_until_embedded
from duka.catalog.search import SearchQuery, active_embedding_model, embed_query, search_products
from duka.config import ConfigError, get_settings
from duka.db.pool import tenant_transaction, transaction
from duka.embeddings import get_embedder
from duka.embeddings.local import LocalEmbedder
from duka_local.sandboxes.gemini_fake import FakeGemini, ServerError
from tests.conftest import random_kenyan_number
from tests.test_image_analysis import gemini_online  # noqa: F401  (fixture)

MINILM = "all-MiniLM-L6-v2@384"
GEMINI = "gemini-embedding-001@768"


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_local_model_puts_related_fashion_texts_closer_than_unrelated_ones() -> None:
    red_dress, gown, oil = LocalEmbedder().embed(
        ["red dress", "crimson evening gown", "engine oil for a car"], "RETRIEVAL_QUERY"
    )
    assert len(red_dress) == 384 and math.isclose(math.hypot(*red_dress), 1.0, rel_tol=1e-4)
    assert cosine(red_dress, gown) > cosine(red_dress, oil) + 0.2


@pytest.mark.parametrize(
    ("key", "choice", "expected"),
    [(None, None, MINILM), ("k", None, GEMINI), ("k", "gemini", GEMINI), ("k", "local", MINILM)],
)
def test_gemini_is_active_when_a_key_is_set_unless_local_is_forced(
    monkeypatch: pytest.MonkeyPatch, key: str | None, choice: str | None, expected: str
) -> None:
    from duka.llm import get_gemini_client

    for name, value in (("GEMINI_API_KEY", key), ("EMBEDDINGS", choice)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    caches = (get_settings, get_gemini_client, get_embedder)
    for cache in caches:
        cache.cache_clear()
    try:
        assert active_embedding_model() == expected
    finally:
        monkeypatch.undo()
        for cache in caches:
            cache.cache_clear()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"EMBEDDINGS": "gemini"}, "GEMINI_API_KEY"),
        ({"EMBEDDINGS": "openai"}, "EMBEDDINGS"),
        ({"GEMINI_EMBEDDING_DIMENSION": "3072"}, "GEMINI_EMBEDDING_DIMENSION"),
    ],
)
def test_embedding_misconfiguration_fails_fast_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_embedder.cache_clear()
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match=variable):
            get_embedder()
    finally:
        monkeypatch.undo()
        get_embedder.cache_clear()
        get_settings.cache_clear()


@pytest.fixture()
def shop(stack: dict[str, str]) -> str:
    from duka.store.businesses import create_business

    with transaction() as conn:
        return create_business(conn, name="Embed Shop", whatsapp_number=random_kenyan_number())


def add_product(admin: psycopg.Connection[Any], business_id: str, name: str, text: str) -> str:
    """A row written straight to the table: no outbox event, so only this test indexes it."""
    product_id = str(uuid.uuid4())
    admin.execute(
        "INSERT INTO products (id, business_id, sku, name, description, price, stock, category,"
        " attrs) VALUES (%s, %s, %s, %s, %s, 1000, 3, 'dress', '{\"colors\": [\"white\"]}')",
        (product_id, business_id, f"E-{product_id[:6]}", name, text),
    )
    return product_id


def indexed(admin: psycopg.Connection[Any], product_id: str) -> dict[str, Any]:
    row = admin.execute(
        "SELECT embedding::text AS vector, vector_dims(embedding) AS dims, embedding_model,"
        " content_hash, indexed_at, search_text FROM products WHERE id = %s",
        (product_id,),
    ).fetchone()
    assert row is not None
    return dict(row)


def test_redelivered_product_changed_is_harmless_and_skips_the_model(
    shop: str, admin_db: psycopg.Connection[Any]
) -> None:
    product_id = add_product(admin_db, shop, "Linen Shirt Dress", "Breathable linen")
    assert index_product(shop, product_id) is True
    first = indexed(admin_db, product_id)

    assert index_product(shop, product_id) is False
    again = indexed(admin_db, product_id)

    assert (first["embedding_model"], first["dims"]) == (MINILM, 384)
    assert again["vector"] == first["vector"] and again["content_hash"] == first["content_hash"]
    assert again["indexed_at"] >= first["indexed_at"]


def test_changed_content_is_embedded_again(shop: str, admin_db: psycopg.Connection[Any]) -> None:
    product_id = add_product(admin_db, shop, "Linen Shirt Dress", "Breathable linen")
    index_product(shop, product_id)
    before = indexed(admin_db, product_id)
    admin_db.execute(
        "UPDATE products SET description = 'Heavy velvet for cold evenings', updated_at = now()"
        " WHERE id = %s",
        (product_id,),
    )
    assert index_product(shop, product_id) is True
    after = indexed(admin_db, product_id)
    assert after["vector"] != before["vector"] and "velvet" in after["search_text"]


def test_a_missing_product_is_acknowledged_without_error(shop: str) -> None:
    assert index_product(shop, str(uuid.uuid4())) is False


def test_vectors_of_another_model_are_never_compared_with_the_query(
    shop: str, admin_db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    product_id = add_product(admin_db, shop, "Linen Shirt Dress", "Breathable, for hot weather")
    index_product(shop, product_id)
    query = SearchQuery(text="something airy for the coast heat")
    with tenant_transaction(shop) as conn:
        assert [hit.id for hit in search_products(conn, query)] == [product_id]

    with FakeGemini(api_key="k") as fake:
        monkeypatch.setenv("GEMINI_API_KEY", "k")
        monkeypatch.setenv("GEMINI_BASE_URL", fake.base_url)
        _clear_caches()
        try:
            with tenant_transaction(shop) as conn:
                hits = search_products(conn, query)
            assert fake.requests_for("batchEmbedContents"), "the query was embedded by Gemini"
            assert hits == [], "a Gemini query vector met a MiniLM product vector"
        finally:
            monkeypatch.undo()
            _clear_caches()


def test_gemini_embeds_products_with_its_model_and_query_failures_fall_back_to_keywords(
    shop: str,
    admin_db: psycopg.Connection[Any],
    gemini_online: FakeGemini,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EMBEDDINGS")
    get_embedder.cache_clear()
    get_settings.cache_clear()
    product_id = add_product(admin_db, shop, "Kitenge Maxi Dress", "Bold wax print")
    assert index_product(shop, product_id) is True
    assert (indexed(admin_db, product_id)["embedding_model"], len(embed_query("x"))) == (
        GEMINI,
        768,
    )
    (document_call, _) = gemini_online.requests_for("batchEmbedContents")
    assert document_call.body["requests"][0]["taskType"] == "RETRIEVAL_DOCUMENT"

    gemini_online.script_embeddings(ServerError(503))
    with tenant_transaction(shop) as conn:
        hits = search_products(conn, SearchQuery(text="kitenge"))
    assert [hit.id for hit in hits] == [product_id]


def test_reembed_queues_every_product_of_another_model_until_all_are_rebuilt(
    shop: str, admin_db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    product_id = add_product(admin_db, shop, "Ankara Skater Dress", "Short flared ankara")
    with FakeGemini(api_key="k") as fake:
        monkeypatch.setenv("GEMINI_API_KEY", "k")
        monkeypatch.setenv("GEMINI_BASE_URL", fake.base_url)
        _clear_caches()
        try:
            index_product(shop, product_id)
        finally:
            monkeypatch.undo()
            _clear_caches()
    assert indexed(admin_db, product_id)["embedding_model"] == GEMINI

    assert reembed_products(business_id=shop) == 1  # the stack's embed_product uses MiniLM
    wait_until_embedded(MINILM, business_id=shop, timeout=60)
    assert indexed(admin_db, product_id)["embedding_model"] == MINILM


def _clear_caches() -> None:
    from duka.llm import get_gemini_client

    for cache in (get_settings, get_gemini_client, get_embedder):
        cache.cache_clear()
