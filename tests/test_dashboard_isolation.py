"""One boutique's owner can never see or change another boutique's rows, even by editing ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from psycopg.rows import dict_row

from tests.dashboard_helpers import (
    OwnerClient,
    add_conversation,
    add_order,
    add_product,
    create_owned_boutique,
    sandbox_messages,
)


@pytest.fixture(scope="module")
def admin(stack: dict[str, str]) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(stack["DATABASE_URL"], autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture(scope="module")
def theirs(admin: Any) -> dict[str, str]:
    """Another boutique with a chat (a photo in it), a product on an order, and a paid order."""
    shop = create_owned_boutique(admin, name="Zawadi Fashions")
    conversation = add_conversation(
        admin, shop.id, name="Akinyi Zawadi-Customer", messages=[("customer", "Secret request")]
    )
    admin.execute(
        'UPDATE messages SET attachments = \'[{"url": "http://127.0.0.1:9/photo.jpg"}]\''
        " WHERE conversation_id = %s",
        (conversation,),
    )
    message = admin.execute(
        "SELECT id FROM messages WHERE conversation_id = %s", (conversation,)
    ).fetchone()
    product = add_product(
        admin, shop.id, sku="ZW-1", name="Zawadi Secret Kitenge", images=["/etc/hostname"]
    )
    order = add_order(
        admin, shop.id, conversation, lines=[(product, "Zawadi Secret Kitenge", "M", 1, 3000)]
    )
    question = admin.execute(
        "INSERT INTO owner_questions (business_id, conversation_id, customer_phone, question,"
        " topic) SELECT business_id, id, customer_phone, 'Secret question: pickup?', 'pickup'"
        " FROM conversations WHERE id = %s RETURNING id",
        (conversation,),
    ).fetchone()
    pair = admin.execute(
        "INSERT INTO shop_answers (business_id, question, answer_en)"
        " VALUES (%s, 'Zawadi secret question', 'Secret answer') RETURNING id",
        (shop.id,),
    ).fetchone()
    return {
        "question": str(question["id"]),
        "pair": str(pair["id"]),
        "business": shop.id,
        "conv": conversation,
        "msg": str(message["id"]),
        "prod": product,
        "order": order,
        "customer_phone": admin.execute(
            "SELECT customer_phone FROM conversations WHERE id = %s", (conversation,)
        ).fetchone()["customer_phone"],
    }


@pytest.fixture(scope="module")
def owner(app: Flask, stack: dict[str, str], admin: Any, theirs: dict[str, str]) -> OwnerClient:
    mine = create_owned_boutique(admin, name="Amani Styles")
    conversation = add_conversation(admin, mine.id, name="Njeri Amani-Customer")
    add_order(admin, mine.id, conversation, lines=[(None, "Amani Wrap Dress", "S", 1, 2000)])
    return OwnerClient(app, stack, mine.owner)


def their_rows(admin: Any, theirs: dict[str, str]) -> dict[str, Any]:
    business = theirs["business"]
    return {
        table: admin.execute(
            f"SELECT * FROM {table} WHERE business_id = %s ORDER BY id", (business,)
        ).fetchall()
        for table in (
            "conversations",
            "messages",
            "products",
            "orders",
            "order_items",
            "owner_questions",
            "shop_answers",
            "payments",
            "refunds",
            "stock_reservations",
        )
    } | {
        "business": admin.execute("SELECT * FROM businesses WHERE id = %s", (business,)).fetchone()
    }


GET_ROUTES = [
    "/dashboard/conversations/{conv}",
    "/dashboard/conversations/{conv}/timeline",
    "/dashboard/conversations/{conv}/messages/{msg}/media/0",
    "/dashboard/products/{prod}",
    "/dashboard/products/{prod}/images/0",
    "/dashboard/orders/{order}",
    "/dashboard/customers/{conv}",
]

POST_ROUTES = [
    ("/dashboard/conversations/{conv}/takeover", {}),
    ("/dashboard/conversations/{conv}/handback", {}),
    ("/dashboard/conversations/{conv}/reply", {"text": "Hello from another shop"}),
    ("/dashboard/conversations/{conv}/retry", {}),
    ("/dashboard/products/{prod}", {"name": "Hijacked", "price": "1", "stock": "0"}),
    ("/dashboard/products/{prod}/archive", {}),
    ("/dashboard/products/{prod}/restore", {}),
    ("/dashboard/products/{prod}/delete", {}),
    ("/dashboard/orders/{order}/fulfilment", {"status": "shipped"}),
    ("/dashboard/questions/{question}/answer", {"text": "Hijacked", "save": "yes"}),
    ("/dashboard/settings/answers/{pair}", {"question": "Hijacked?", "answer_en": "Hijacked"}),
    ("/dashboard/settings/answers/{pair}/delete", {}),
    ("/dashboard/orders/{order}/payment", {"code": "QFT4ABCDE1", "amount": "100"}),
    ("/dashboard/orders/{order}/cash", {}),
    ("/dashboard/orders/{order}/cancel-on-delivery", {}),
    ("/dashboard/orders/{order}/refund", {"amount": "100", "method": "by_hand", "reason": "x"}),
    ("/dashboard/orders/{order}/goods-back", {}),
    ("/dashboard/layaway/orders/{order}/deposit", {"decision": "refund"}),
    ("/dashboard/layaway/products/{prod}", {}),
]


@pytest.mark.parametrize("route", GET_ROUTES)
def test_another_boutiques_id_in_a_url_is_not_found(owner, theirs, route):
    response = owner.get(route.format(**theirs))

    assert response.status_code == 404
    assert "Zawadi" not in response.text and "Secret" not in response.text


@pytest.mark.parametrize(("route", "data"), POST_ROUTES)
def test_another_boutiques_id_in_a_form_changes_nothing(owner, admin, stack, theirs, route, data):
    before = their_rows(admin, theirs)

    response = owner.post(route.format(**theirs), data)

    assert response.status_code == 404
    assert their_rows(admin, theirs) == before
    assert sandbox_messages(stack, theirs["customer_phone"]) == []


@pytest.mark.parametrize(
    "page",
    [
        "/dashboard/",
        "/dashboard/activity",
        "/dashboard/conversations",
        "/dashboard/products",
        "/dashboard/orders",
        "/dashboard/customers",
        "/dashboard/settings",
    ],
)
def test_lists_show_only_the_owners_own_boutique(owner, theirs, page):
    response = owner.get(page)

    assert response.status_code == 200
    assert "Zawadi" not in response.text and "Secret" not in response.text


def test_the_owners_own_rows_do_show(owner):
    assert "Njeri Amani-Customer" in owner.get("/dashboard/conversations").text
    assert "Amani Wrap Dress" not in owner.get("/dashboard/products").text  # not a product row
    assert "Njeri Amani-Customer" in owner.get("/dashboard/orders").text


def test_saving_settings_leaves_other_boutiques_alone(owner, admin, theirs):
    before = their_rows(admin, theirs)

    response = owner.post(
        "/dashboard/settings/profile", {"name": "Amani Styles Ltd", "phone": "0711222333"}
    )

    assert response.status_code == 302
    assert their_rows(admin, theirs) == before
