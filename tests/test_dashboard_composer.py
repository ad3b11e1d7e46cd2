"""The owner's reply box and WhatsApp's 24-hour window: a countdown while it is open, the
approved templates (never free text) once it has closed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from duka.dashboard.composer import reply_window
from tests.dashboard_helpers import OwnedBoutique, OwnerClient, add_conversation, wait_for_message


@pytest.fixture()
def owner(app: Flask, stack: dict[str, str], shop: OwnedBoutique) -> OwnerClient:
    return OwnerClient(app, stack, shop.owner)


def test_the_countdown_reads_in_hours_and_minutes_and_closes_at_24_hours():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    wrote = {"last_customer_message_at": now - timedelta(hours=20, minutes=48)}

    assert reply_window(wrote, now).countdown == "window closes in 3 h 12 min"
    late = {"last_customer_message_at": now - timedelta(hours=23, minutes=55)}
    assert reply_window(late, now).countdown == "window closes in 5 min"
    closed = reply_window({"last_customer_message_at": now - timedelta(hours=25)}, now)
    assert not closed.open


def test_inside_the_window_the_owner_types_and_sees_the_countdown(owner, shop, admin_db):
    chat = add_conversation(admin_db, shop.id, name="Zawadi")
    owner.post(f"/dashboard/conversations/{chat}/takeover")

    page = owner.get(f"/dashboard/conversations/{chat}").text

    assert re.search(r"window closes in 2[34] h \d+ min", page)
    assert 'name="text"' in page and 'name="template"' not in page


def test_outside_the_window_the_owner_sends_a_template_not_free_text(owner, shop, admin_db, stack):
    chat = add_conversation(admin_db, shop.id, name="Imani", metadata={"language": "sw"})
    admin_db.execute(
        "UPDATE conversations SET last_customer_message_at = now() - interval '2 days'"
        " WHERE id = %s",
        (chat,),
    )
    owner.post(f"/dashboard/conversations/{chat}/takeover")

    page = owner.get(f"/dashboard/conversations/{chat}").text
    assert "The 24-hour window has closed" in page
    assert 'name="text"' not in page and 'value="order_dispatched"' in page
    assert 'value="sign_in_code"' not in page  # the owners' code template is not offered
    assert 'value="owner_alert"' not in page  # nor the owner-alert template

    owner.post(
        f"/dashboard/conversations/{chat}/reply",
        {"template": "order_dispatched", "var_1": "Nyota Boutique", "var_2": "Kitenge Dress M"},
    )

    sent = admin_db.execute(
        "SELECT content, metadata FROM messages WHERE conversation_id = %s AND role = 'owner'",
        (chat,),
    ).fetchone()
    assert (
        sent["content"]
        == "Habari njema! Oda yako kutoka Nyota Boutique (Kitenge Dress M) iko njiani."
    )
    assert sent["metadata"]["template"] == {
        "name": "order_dispatched",
        "variables": {"1": "Nyota Boutique", "2": "Kitenge Dress M"},
        "language": "sw",
    }
    phone = admin_db.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (chat,)
    ).fetchone()["customer_phone"]
    delivered: Any = wait_for_message(stack, phone)
    assert "Nyota Boutique" in delivered["body"]


def test_a_template_with_a_blank_left_empty_is_not_sent(owner, shop, admin_db):
    chat = add_conversation(admin_db, shop.id, name="Baraka")
    owner.post(f"/dashboard/conversations/{chat}/takeover")

    answer = owner.post(
        f"/dashboard/conversations/{chat}/reply",
        {"template": "order_dispatched", "var_1": "Nyota Boutique", "var_2": " "},
        follow_redirects=True,
    )

    assert "Fill in every blank" in answer.text
    stored = admin_db.execute(
        "SELECT count(*) AS n FROM messages WHERE conversation_id = %s AND role = 'owner'",
        (chat,),
    ).fetchone()
    assert stored["n"] == 0
