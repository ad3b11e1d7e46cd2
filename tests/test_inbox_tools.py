"""Inbox tools on the real database, signed in for real (Flask's test client): saved replies in
the composer, tags and private notes on customers, and the audit log of who did what."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask

from tests.dashboard_helpers import (
    OwnedBoutique,
    OwnerClient,
    add_conversation,
    add_order,
    add_product,
    create_owned_boutique,
    sandbox_messages,
)


@pytest.fixture()
def owner(app: Flask, stack: dict[str, str], shop: OwnedBoutique) -> OwnerClient:
    return OwnerClient(app, stack, shop.owner)


def phone_of(admin_db: Any, conversation_id: str) -> str:
    row = admin_db.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (conversation_id,)
    ).fetchone()
    return str(row["customer_phone"])


def audit_actions(admin_db: Any, business_id: str) -> list[tuple[str, str, str | None]]:
    """What was done, leaving out the fixtures' own signing in."""
    rows = admin_db.execute(
        "SELECT actor_phone, action, subject_id FROM audit_log WHERE business_id = %s"
        " AND action NOT LIKE 'auth.%%' ORDER BY id",
        (business_id,),
    ).fetchall()
    return [(r["actor_phone"], r["action"], r["subject_id"]) for r in rows]


# Saved replies


def test_saved_replies_are_added_replaced_refused_and_removed(owner, shop, admin_db):
    owner.post("/dashboard/saved-replies", {"shortcut": "/Hours", "body": "Open 9-6"})
    owner.post(
        "/dashboard/saved-replies", {"shortcut": "hours", "body": "We are open 9-7, Mon-Sat"}
    )
    owner.post("/dashboard/saved-replies", {"shortcut": "mpesa", "body": "Till 123456"})
    refused = owner.post("/dashboard/saved-replies", {"shortcut": "two words", "body": "x"})
    page = owner.get("/dashboard/saved-replies").text
    mpesa = admin_db.execute(
        "SELECT id FROM saved_replies WHERE business_id = %s AND shortcut = 'mpesa'", (shop.id,)
    ).fetchone()["id"]
    owner.post("/dashboard/saved-replies/delete", {"id": str(mpesa)})
    after = owner.get("/dashboard/saved-replies").text

    assert refused.status_code == 422 and "Use one short word" in refused.text
    kept = "<strong>/{}</strong>".format
    assert kept("hours") in page and "We are open 9-7, Mon-Sat" in page
    assert "Open 9-6" not in page  # saving /hours again replaced its text
    assert kept("mpesa") in page and kept("mpesa") not in after and kept("hours") in after
    assert "Removed /mpesa." in after
    assert [a for _, a, _ in audit_actions(admin_db, shop.id)] == [
        "saved_reply.added",
        "saved_reply.added",
        "saved_reply.added",
        "saved_reply.removed",
    ]


def test_a_saved_reply_fills_the_reply_box_and_is_sent_as_the_owner_edited_it(
    owner, shop, admin_db, stack
):
    owner.post("/dashboard/saved-replies", {"shortcut": "hours", "body": "We are open 9-7"})
    chat = add_conversation(
        admin_db, shop.id, messages=[("customer", "Mnafunga saa ngapi?")], status="handed_over"
    )

    thread = owner.get(f"/dashboard/conversations/{chat}").text
    picked = owner.get(f"/dashboard/conversations/{chat}?use=hours").text
    owner.post(f"/dashboard/conversations/{chat}/reply", {"text": "We are open 9-7, Mon-Sat"})

    assert 'data-shortcut="hours"' in thread and "/hours" in thread  # the "/" picker's list
    assert ">We are open 9-7</textarea>" in picked  # without JavaScript: the box is filled
    assert [m["body"] for m in sandbox_messages(stack, phone_of(admin_db, chat))] == [
        "We are open 9-7, Mon-Sat"
    ]
    assert audit_actions(admin_db, shop.id)[-1] == (shop.owner, "chat.reply", chat)


# Tags and notes


def test_tags_filter_the_customer_list_and_can_be_removed(owner, shop, admin_db):
    amina = add_conversation(admin_db, shop.id, name="Amina Otieno")
    baraka = add_conversation(admin_db, shop.id, name="Baraka Mwangi")
    add_conversation(admin_db, shop.id, name="Chebet Kirui")

    owner.post(f"/dashboard/customers/{amina}/tags", {"tag": "VIP"})
    owner.post(f"/dashboard/customers/{amina}/tags", {"tag": "  wholesale  "})
    owner.post(f"/dashboard/customers/{baraka}/tags", {"tag": "VIP"})
    vip = owner.get("/dashboard/customers?tag=VIP").text
    everyone = owner.get("/dashboard/customers").text
    owner.post(f"/dashboard/customers/{baraka}/tags/remove", {"tag": "VIP"})
    vip_after = owner.get("/dashboard/customers?tag=VIP").text
    detail = owner.get(f"/dashboard/customers/{amina}").text

    assert "Amina Otieno" in vip and "Baraka Mwangi" in vip and "Chebet Kirui" not in vip
    assert "Chebet Kirui" in everyone and ">wholesale</span>" in everyone
    assert "Baraka Mwangi" not in vip_after and "Amina Otieno" in vip_after
    assert 'aria-label="Remove tag VIP"' in detail and 'aria-label="Remove tag wholesale"' in detail
    assert [a for _, a, _ in audit_actions(admin_db, shop.id)] == [
        "customer.tag_added",
        "customer.tag_added",
        "customer.tag_added",
        "customer.tag_removed",
    ]


def test_private_notes_show_on_the_customer_page_and_never_reach_the_customer(
    owner, shop, admin_db, stack
):
    chat = add_conversation(admin_db, shop.id, name="Wanjiru", status="handed_over")
    note = "Pays on Fridays; haggles hard"

    owner.post(f"/dashboard/customers/{chat}/notes", {"body": note})
    page = owner.get(f"/dashboard/customers/{chat}").text
    thread = owner.get(f"/dashboard/conversations/{chat}").text
    note_id = admin_db.execute(
        "SELECT id FROM customer_notes WHERE business_id = %s", (shop.id,)
    ).fetchone()["id"]
    owner.post(f"/dashboard/customers/{chat}/notes/delete", {"id": str(note_id)})
    after = owner.get(f"/dashboard/customers/{chat}").text
    sent = admin_db.execute(
        "SELECT count(*) AS n FROM messages WHERE conversation_id = %s AND content LIKE %s",
        (chat, "%Fridays%"),
    ).fetchone()

    assert html.escape(note) in page and html.escape(note) not in after
    assert html.escape(note) not in thread  # the chat (and its timeline) never shows it
    assert sent["n"] == 0 and sandbox_messages(stack, phone_of(admin_db, chat)) == []


# The audit log


def test_the_audit_log_lists_who_did_what_newest_first(owner, shop, admin_db):
    chat = add_conversation(admin_db, shop.id, messages=[("customer", "Habari")])
    owner.post(f"/dashboard/conversations/{chat}/takeover")
    owner.post(f"/dashboard/conversations/{chat}/reply", {"text": "Karibu!"})
    owner.post(f"/dashboard/conversations/{chat}/handback")
    owner.post("/dashboard/settings/profile", {"name": "Nyota Boutique", "phone": "0711222333"})
    owner.get("/dashboard/exports/customers.csv")

    page = owner.get("/dashboard/audit").text
    order = [
        "downloaded a CSV export",
        "saved settings",
        "handed the chat back to the agent",
        "sent a reply",
        "took over the chat",
    ]

    assert [a for _, a, _ in audit_actions(admin_db, shop.id)] == [
        "chat.take_over",
        "chat.reply",
        "chat.hand_back",
        "settings.saved",
        "export.downloaded",
    ]
    assert {actor for actor, _, _ in audit_actions(admin_db, shop.id)} == {shop.owner}
    positions = [page.index(what) for what in order]
    assert positions == sorted(positions)
    assert "section: profile" in page and "export: customers" in page
    assert f'href="/dashboard/conversations/{chat}"' in page


def test_signing_in_and_out_and_the_smaller_settings_are_logged_too(
    app, stack, owner, shop, admin_db
):
    chat = add_conversation(admin_db, shop.id, messages=[("customer", "Habari")])
    dress = add_product(admin_db, shop.id, sku="AL-2", name="Ankara Dress", price=3200)
    owner.post(f"/dashboard/conversations/{chat}/consent", {"kind": "opt_out"})
    owner.post("/dashboard/broadcasts/limit", {"daily_limit": "1000"})
    owner.post(f"/dashboard/layaway/products/{dress}", {"layaway": "no"})
    owner.post(f"/dashboard/conversations/{chat}/retry")
    owner.post(
        "/dashboard/settings/answers",
        {"question": "Do you open on Sunday?", "answer_en": "Yes, 10 to 4."},
    )
    page = owner.get("/dashboard/audit").text
    owner.post("/dashboard/logout")

    rows = admin_db.execute(
        "SELECT action, details FROM audit_log WHERE business_id = %s ORDER BY id", (shop.id,)
    ).fetchall()
    assert [r["action"] for r in rows] == [
        "auth.signed_in",
        "customer.consent",
        "settings.saved",
        "product.layaway",
        "chat.send_again",
        "shop_answer.saved",
        "auth.signed_out",
    ]
    assert rows[2]["details"] == {"section": "daily limit", "limit": "1000"}
    assert rows[3]["details"] == {"allowed": False}
    assert rows[5]["details"] == {"question": "Do you open on Sunday?"}
    for said in ("signed in", "recorded a customer", "lipa pole pole", "pressed Send again"):
        assert said in page


def test_product_and_order_changes_are_logged_once_each(owner, shop, admin_db):
    dress = add_product(admin_db, shop.id, sku="AL-1", name="Ankara Dress", price=3200)
    chat = add_conversation(admin_db, shop.id)
    order = add_order(admin_db, shop.id, chat, lines=[(dress, "Ankara Dress", "M", 1, 3200)])

    owner.post(f"/dashboard/products/{dress}/archive")
    owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "shipped"})
    owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "shipped"})  # no change
    page = owner.get("/dashboard/audit").text

    assert audit_actions(admin_db, shop.id) == [
        (shop.owner, "product.archived", dress),
        (shop.owner, "order.fulfilment", order),
    ]
    assert "changed delivery status" in page and "status: shipped" in page
    assert f'href="/dashboard/orders/{order}"' in page


def test_the_audit_log_pages_and_cannot_be_changed_by_the_app(owner, shop, admin_db, stack):
    import psycopg

    for n in range(55):
        admin_db.execute(
            "INSERT INTO audit_log (business_id, actor_phone, action, subject_type, details)"
            " VALUES (%s, %s, 'settings.saved', 'settings', %s)",
            (shop.id, shop.owner, f'{{"section": "s{n:02d}"}}'),
        )

    first = owner.get("/dashboard/audit").text
    second = owner.get("/dashboard/audit?page=2").text

    assert "section: s54" in first and "section: s05" in first and "section: s04" not in first
    assert "section: s04" in second and "section: s00" in second and "Newer" in second
    assert "Older" in first and "Older" not in second
    with psycopg.connect(stack["APP_DATABASE_URL"]) as conn:  # append-only for the app role
        for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()


def test_another_boutiques_replies_tags_notes_and_log_stay_invisible(owner, shop, admin_db):
    other = create_owned_boutique(admin_db, name="Zuri Closet")
    theirs = add_conversation(admin_db, other.id, name="Their Customer")
    their_phone = phone_of(admin_db, theirs)
    admin_db.execute(
        "INSERT INTO saved_replies (business_id, shortcut, body) VALUES (%s, 'zuri', 'ZURI-TEXT')",
        (other.id,),
    )
    admin_db.execute(
        "INSERT INTO customer_tags (business_id, customer_phone, tag) VALUES (%s, %s, 'ZURI-TAG')",
        (other.id, their_phone),
    )
    admin_db.execute(
        "INSERT INTO customer_notes (business_id, customer_phone, body, author_phone)"
        " VALUES (%s, %s, 'ZURI-NOTE', %s)",
        (other.id, their_phone, other.owner),
    )
    admin_db.execute(
        "INSERT INTO audit_log (business_id, actor_phone, action, subject_type, details)"
        " VALUES (%s, %s, 'settings.saved', 'settings', '{\"section\": \"ZURI-LOG\"}')",
        (other.id, other.owner),
    )
    mine = add_conversation(admin_db, shop.id, status="handed_over")

    pages = [
        owner.get("/dashboard/saved-replies").text,
        owner.get(f"/dashboard/conversations/{mine}").text,
        owner.get("/dashboard/customers").text,
        owner.get("/dashboard/audit").text,
    ]
    by_their_tag = owner.get("/dashboard/customers?tag=ZURI-TAG").text
    tagged = owner.post(f"/dashboard/customers/{theirs}/tags", {"tag": "Mine now"})
    noted = owner.post(f"/dashboard/customers/{theirs}/notes", {"body": "Mine now"})

    assert not [p for p in pages if "ZURI" in p]
    assert "Their Customer" not in by_their_tag and "No customers match" in by_their_tag
    assert tagged.status_code == 404 and noted.status_code == 404
    counts = admin_db.execute(
        "SELECT (SELECT count(*) FROM customer_tags WHERE business_id = %s) AS tags,"
        " (SELECT count(*) FROM customer_notes WHERE business_id = %s) AS notes",
        (other.id, other.id),
    ).fetchone()
    assert counts == {"tags": 1, "notes": 1}
