"""Data protection on the real database, signed in for real: a customer's data exported as JSON
and CSV (formula cells escaped), deleted (her words, media, name and number gone from every
table; money records kept with her number masked), the request log, the public notice and
download pages, the privacy settings, and the nightly retention purge per boutique."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from psycopg.types.json import Jsonb

from duka.db.pool import tenant_transaction
from duka.privacy import requests
from duka.privacy.notice import download_url
from tests.dashboard_helpers import (
    OwnedBoutique,
    OwnerClient,
    add_conversation,
    add_order,
    add_product,
    as_app_role,
    create_owned_boutique,
)

NAME = "Achieng Otieno"
WORDS = [
    '=HYPERLINK("http://evil.example","click")',
    "+254 call me back on this number",
    "-5% discount for me?",
    "@admin nataka gauni la harusi",
    "Deliver to Riverside Drive, house 14",
]
MEDIA = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"


def tables_with_business_id(admin_db: Any) -> list[str]:
    rows = admin_db.execute(
        "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t"
        " ON t.table_name = c.table_name AND t.table_schema = c.table_schema"
        " WHERE c.table_schema = 'public' AND c.column_name = 'business_id'"
        " AND t.table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return [r["table_name"] for r in rows]


def found_in(admin_db: Any, business_id: str, needle: str) -> list[str]:
    """Every table of the boutique with a row whose JSON contains `needle`."""
    return [
        table
        for table in tables_with_business_id(admin_db)
        if admin_db.execute(
            f"SELECT 1 FROM {table} t WHERE business_id = %s"  # noqa: S608 - catalogue names
            " AND strpos(row_to_json(t)::text, %s) > 0 LIMIT 1",
            (business_id, needle),
        ).fetchone()
    ]


@pytest.fixture()
def her(admin_db: Any, shop: OwnedBoutique) -> dict[str, Any]:
    """A customer with something in every table that can hold her number or her words."""
    chat = add_conversation(admin_db, shop.id, name=NAME, messages=[("customer", w) for w in WORDS])
    phone = admin_db.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (chat,)
    ).fetchone()["customer_phone"]
    admin_db.execute(
        "INSERT INTO messages (business_id, conversation_id, role, content, attachments)"
        " VALUES (%s, %s, 'customer', 'like this one', %s)",
        (shop.id, chat, Jsonb([{"url": MEDIA, "content_type": "image/jpeg"}])),
    )
    admin_db.execute(
        "INSERT INTO customers (business_id, phone, name, profile) VALUES (%s, %s, %s, %s)",
        (shop.id, phone, NAME, Jsonb({"preferred_size": "M"})),
    )
    product = add_product(admin_db, shop.id, sku="PR-1", name="Harusi Gown", price=4500)
    order = add_order(admin_db, shop.id, chat, lines=[(product, "Harusi Gown", "M", 1, 4500)])
    admin_db.execute("UPDATE orders SET pay_phone = %s WHERE id = %s", (phone, order))
    attempt = admin_db.execute(
        "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key, gateway,"
        " pay_phone, amount) VALUES (%s, %s, 1, %s, 'paylink', %s, 4500) RETURNING id",
        (shop.id, order, "key-" + chat, phone),
    ).fetchone()["id"]
    admin_db.execute(
        "INSERT INTO payments (business_id, order_id, attempt_id, gateway, receipt, amount,"
        " payer_phone_masked, matched_by) VALUES (%s, %s, %s, 'paylink', %s, 4500,"
        " '+254******000', 'stk_push')",
        (shop.id, order, attempt, "QPRIV" + chat[:5].upper()),
    )
    statements = [
        (
            "INSERT INTO payment_claims (business_id, conversation_id, order_id, customer_phone,"
            " receipt) VALUES (%s, %s, %s, %s, 'QCLAIM0001')",
            (shop.id, chat, order, phone),
        ),
        (
            "INSERT INTO sales_touches (business_id, customer_phone, kind) VALUES"
            " (%s, %s, 'owner_takeover')",
            (shop.id, phone),
        ),
        (
            "INSERT INTO consent_events (business_id, customer_phone, kind, source) VALUES"
            " (%s, %s, 'opt_in', 'chat_keyword')",
            (shop.id, phone),
        ),
        (
            "INSERT INTO customer_tags (business_id, customer_phone, tag) VALUES (%s, %s, 'VIP')",
            (shop.id, phone),
        ),
        (
            "INSERT INTO customer_notes (business_id, customer_phone, body, author_phone) VALUES"
            " (%s, %s, %s, %s)",
            (shop.id, phone, f"{NAME} pays on Fridays", shop.owner),
        ),
        (
            "INSERT INTO size_choices (business_id, customer_phone, category, size) VALUES"
            " (%s, %s, 'dress', 'M')",
            (shop.id, phone),
        ),
        (
            "INSERT INTO stock_alerts (business_id, conversation_id, customer_phone, product_id)"
            " VALUES (%s, %s, %s, %s)",
            (shop.id, chat, phone, product),
        ),
        (
            "INSERT INTO agent_memories (business_id, conversation_id, customer_phone, summary)"
            " VALUES (%s, %s, %s, %s)",
            (shop.id, chat, phone, f"{NAME} wants a harusi gown"),
        ),
        (
            "INSERT INTO demand_signals (business_id, conversation_id, kind, words, outcome)"
            " VALUES (%s, %s, 'search', %s, 'none')",
            (shop.id, chat, WORDS[3]),
        ),
        (
            "INSERT INTO owner_questions (business_id, conversation_id, customer_phone, question,"
            " topic) VALUES (%s, %s, %s, %s, 'question')",
            (shop.id, chat, phone, WORDS[4]),
        ),
        (
            "INSERT INTO delivery_quotes (business_id, conversation_id, customer_phone, address)"
            " VALUES (%s, %s, %s, %s)",
            (shop.id, chat, phone, WORDS[4]),
        ),
        (
            "INSERT INTO audit_log (business_id, actor_phone, action, subject_type, subject_id,"
            " details) VALUES (%s, %s, 'consent.recorded', 'customer', %s, %s)",
            (shop.id, shop.owner, phone, Jsonb({"phone": phone})),
        ),
    ]
    for sql, values in statements:
        admin_db.execute(sql, values)
    return {"chat": chat, "phone": phone, "order": order}


@pytest.fixture()
def owner(app: Flask, stack: dict[str, str], shop: OwnedBoutique) -> OwnerClient:
    return OwnerClient(app, stack, shop.owner)


def money(admin_db: Any, business_id: str) -> tuple[Any, ...]:
    row = admin_db.execute(
        "SELECT (SELECT count(*) FROM orders WHERE business_id = %s) AS orders,"
        " (SELECT sum(amount) FROM orders WHERE business_id = %s) AS ordered,"
        " (SELECT sum(amount) FROM payments WHERE business_id = %s) AS paid,"
        " (SELECT count(*) FROM order_items WHERE business_id = %s) AS lines",
        (business_id,) * 4,
    ).fetchone()
    return tuple(row.values())


def requests_of(admin_db: Any, business_id: str) -> list[dict[str, Any]]:
    return admin_db.execute(
        "SELECT kind, channel, status, customer_masked, handled_by, completed_at - requested_at"
        " AS took FROM privacy_requests WHERE business_id = %s ORDER BY requested_at",
        (business_id,),
    ).fetchall()


def test_her_data_downloads_as_csv_with_formulas_escaped_and_as_json(owner, her, shop, admin_db):
    csv_response = owner.get(f"/dashboard/customers/{her['chat']}/data.csv")
    json_response = owner.get(f"/dashboard/customers/{her['chat']}/data.json")

    rows = list(csv.DictReader(io.StringIO(csv_response.text.lstrip("\ufeff"))))
    texts = [r["text"] for r in rows if r["record"] == "message"]
    assert texts[:4] == ["'" + WORDS[0], "'" + WORDS[1], "'" + WORDS[2], "'" + WORDS[3]]
    assert texts[4] == WORDS[4]  # an ordinary message is left as written
    assert [r["media_url"] for r in rows if r["record"] == "media"] == [MEDIA]
    assert [r["amount_kes"] for r in rows if r["record"] == "order"] == ["4500"]
    assert [r["text"] for r in rows if r["record"] == "phone"] == ["'" + her["phone"]]
    data = json.loads(json_response.text)
    assert data["customer"] == {
        "phone": her["phone"],
        "name": NAME,
        "first_message_at": data["customer"]["first_message_at"],
        "profile": {"preferred_size": "M"},
    }
    assert [m["text"] for m in data["messages"]][:5] == WORDS  # JSON keeps her exact words
    assert data["orders"][0]["amount_kes"] == 4500
    assert data["orders"][0]["items"][0]["name"] == "Harusi Gown"
    logged = requests_of(admin_db, shop.id)
    assert [(r["kind"], r["channel"], r["status"]) for r in logged] == [
        ("export", "owner", "completed")
    ] * 2
    assert all(r["took"] < timedelta(seconds=5) and r["handled_by"] == shop.owner for r in logged)
    actions = admin_db.execute(
        "SELECT action, details->>'format' AS format FROM audit_log WHERE business_id = %s"
        " AND action = 'privacy.exported' ORDER BY id",
        (shop.id,),
    ).fetchall()
    assert [(a["action"], a["format"]) for a in actions] == [
        ("privacy.exported", "csv"),
        ("privacy.exported", "json"),
    ]


def test_deleting_her_data_leaves_no_number_or_words_anywhere_and_money_intact(
    owner, her, shop, admin_db
):
    before = money(admin_db, shop.id)
    national = her["phone"][4:]  # 7xxxxxxxx: in any format of her number
    assert found_in(admin_db, shop.id, national)  # the fixture did put it everywhere

    confirm = owner.get(f"/dashboard/customers/{her['chat']}/delete-data")
    done = owner.post(f"/dashboard/customers/{her['chat']}/delete-data")

    assert confirm.status_code == 200 and "Yes, delete her data" in confirm.text
    assert done.status_code == 302
    assert found_in(admin_db, shop.id, national) == []
    assert found_in(admin_db, shop.id, NAME) == []
    for words in (*WORDS, "like this one", MEDIA, "harusi gown wants"):
        assert found_in(admin_db, shop.id, words) == [], words
    assert money(admin_db, shop.id) == before
    order = admin_db.execute(
        "SELECT customer_phone, pay_phone, status, delivery_info FROM orders WHERE id = %s",
        (her["order"],),
    ).fetchone()
    masked = "+254******" + her["phone"][-3:]
    assert order["customer_phone"].startswith(masked + " #")
    assert order["pay_phone"] == masked and order["status"] == "paid"
    assert order["delivery_info"] == {"fee_kes": 0, "anonymised": True}
    assert [
        (r["kind"], r["status"], r["customer_masked"]) for r in requests_of(admin_db, shop.id)
    ] == [("deletion", "completed", masked)]
    page = owner.get("/dashboard/customers/data-requests").text
    assert "Deletion" in page and masked in page and "Done" in page
    assert "took under a second" in page
    audit = admin_db.execute(
        "SELECT details FROM audit_log WHERE business_id = %s AND action = 'privacy.deleted'",
        (shop.id,),
    ).fetchone()
    assert audit["details"]["customer"] == order["customer_phone"]


def test_a_deleted_customer_writing_again_starts_a_new_chat(owner, her, shop, stack):
    from duka.store import conversations

    owner.post(f"/dashboard/customers/{her['chat']}/delete-data")
    with as_app_role(stack), tenant_transaction(shop.id) as conn:
        fresh = conversations.get_or_create_conversation(conn, shop.id, her["phone"], None)

    assert str(fresh["id"]) != her["chat"] and fresh["customer_name"] is None


def test_another_boutiques_customer_cannot_be_exported_or_deleted(owner, admin_db):
    other = create_owned_boutique(admin_db, name="Other Shop")
    theirs = add_conversation(admin_db, other.id, name=NAME)

    assert owner.get(f"/dashboard/customers/{theirs}/data.json").status_code == 404
    assert owner.post(f"/dashboard/customers/{theirs}/delete-data").status_code == 404
    assert found_in(admin_db, other.id, NAME) != []
    assert requests_of(admin_db, other.id) == []


# Public pages: the notice, and the download link sent in chat


def test_the_privacy_notice_is_public_and_shows_the_owners_text_escaped(app, owner, shop, admin_db):
    default = app.test_client().get(f"/dashboard/privacy?shop={shop.id}")
    saved = owner.post(
        "/dashboard/settings/privacy",
        {"retention_months": "24", "notice": "We keep <b>little</b>.\n\nAsk us anytime."},
    )
    custom = app.test_client().get(f"/dashboard/privacy?shop={shop.id}")
    refused = owner.post("/dashboard/settings/privacy", {"retention_months": "0", "notice": ""})
    settings = admin_db.execute(
        "SELECT settings->'privacy' AS privacy FROM businesses WHERE id = %s", (shop.id,)
    ).fetchone()["privacy"]

    assert default.status_code == 200
    assert "Kenya Data Protection Act" in default.text and "12 months" in default.text
    assert saved.status_code == 302
    assert "<p>We keep &lt;b&gt;little&lt;/b&gt;.</p>" in custom.text
    assert "<p>Ask us anytime.</p>" in custom.text and "24 months" in custom.text
    assert refused.status_code == 302  # back to Settings with the problem, nothing saved
    assert settings == {
        "retention_months": 24,
        "notice": "We keep <b>little</b>.\n\nAsk us anytime.",
    }
    assert app.test_client().get("/dashboard/privacy?shop=not-a-shop").status_code == 404


def _link_for(shop_id: str, chat: str, phone: str, stack: dict[str, str]) -> str:
    with as_app_role(stack), tenant_transaction(shop_id) as conn:
        request_id = requests.log_request(
            conn,
            business_id=shop_id,
            kind="export",
            channel="chat",
            conversation_id=chat,
            phone=phone,
            handled_by=requests.AGENT,
            completed=True,
        )
        token = requests.issue_download_token(conn, request_id)
    url = urlparse(download_url(shop_id, token))
    return f"{url.path}?{url.query}"


def test_the_download_link_works_until_it_expires_and_refuses_forged_tokens(
    app, her, shop, stack, admin_db
):
    link = _link_for(shop.id, her["chat"], her["phone"], stack)
    visitor = app.test_client()
    page = visitor.get(link)
    data = json.loads(visitor.get(link + "&format=json").text)
    csv_text = visitor.get(link + "&format=csv").text
    token = parse_qs(urlparse(link).query)["token"][0]
    other = create_owned_boutique(admin_db, name="Other Shop")

    assert page.status_code == 200 and "Download JSON" in page.text
    assert [m["text"] for m in data["messages"]][:5] == WORDS
    assert "'" + WORDS[0].replace('"', '""') in csv_text
    assert visitor.get(link.replace(token, token[:-2] + "xx")).status_code == 404
    assert visitor.get(f"/dashboard/my-data?shop={other.id}&token={token}").status_code == 404
    admin_db.execute(
        "UPDATE privacy_requests SET token_expires_at = now() - interval '1 second'"
        " WHERE business_id = %s",
        (shop.id,),
    )
    assert visitor.get(link + "&format=json").status_code == 404


# The nightly retention purge


def _message(admin_db: Any, shop_id: str, chat: str, age: timedelta, text: str) -> None:
    admin_db.execute(
        "INSERT INTO messages (business_id, conversation_id, role, content, created_at)"
        " VALUES (%s, %s, 'customer', %s, %s)",
        (shop_id, chat, text, datetime.now(UTC) - age),
    )


def _texts(admin_db: Any, chat: str) -> set[str]:
    rows = admin_db.execute(
        "SELECT content FROM messages WHERE conversation_id = %s", (chat,)
    ).fetchall()
    return {r["content"] for r in rows}


def test_the_nightly_purge_keeps_each_boutiques_retention_and_every_order(stack, admin_db):
    from duka.privacy.retention import run_retention

    now = datetime.now(UTC)
    six = create_owned_boutique(admin_db, name="Six Months")
    admin_db.execute(
        "UPDATE businesses SET settings = %s WHERE id = %s",
        (Jsonb({"privacy": {"retention_months": 6}}), six.id),
    )
    default = create_owned_boutique(admin_db, name="Default Retention")
    mine = add_conversation(admin_db, six.id, messages=[])
    theirs = add_conversation(admin_db, default.id, messages=[])
    for chat, shop_id in ((mine, six.id), (theirs, default.id)):
        _message(admin_db, shop_id, chat, timedelta(days=400), "13 months old")
        _message(admin_db, shop_id, chat, timedelta(days=190), "a bit over 6 months old")
        _message(admin_db, shop_id, chat, timedelta(days=175), "a bit under 6 months old")
    old_order = add_order(admin_db, six.id, mine, lines=[(None, "Old Kitenge", "M", 1, 1800)])
    admin_db.execute(
        "UPDATE orders SET created_at = now() - interval '2 years' WHERE id = %s", (old_order,)
    )

    with as_app_role(stack):
        run_retention(now)

    assert _texts(admin_db, mine) == {"a bit under 6 months old"}
    assert _texts(admin_db, theirs) == {"a bit over 6 months old", "a bit under 6 months old"}
    assert admin_db.execute("SELECT amount FROM orders WHERE id = %s", (old_order,)).fetchone()[
        "amount"
    ] == Decimal(1800)


def test_the_purge_boundary_is_exactly_the_retention(admin_db, stack, shop):
    from duka.privacy.retention import purge_old_chats

    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    chat = add_conversation(admin_db, shop.id, messages=[])
    for age, text in ((timedelta(minutes=-1), "just inside"), (timedelta(minutes=1), "just out")):
        admin_db.execute(
            "INSERT INTO messages (business_id, conversation_id, role, content, created_at)"
            " VALUES (%s, %s, 'customer', %s, %s)",
            (shop.id, chat, text, datetime(2025, 6, 15, 12, 0, tzinfo=UTC) - age),
        )

    with as_app_role(stack), tenant_transaction(shop.id) as conn:
        purged = purge_old_chats(conn, 12, now)

    assert purged.messages == 1
    assert _texts(admin_db, chat) == {"just inside"}
