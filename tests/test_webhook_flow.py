"""One WhatsApp message end to end through the real webhook, emulator, database and functions."""

from __future__ import annotations

import time
from typing import Any

import httpx
import psycopg


def stored_customer_messages(admin_db: Any, business_id: str) -> list[dict[str, Any]]:
    return admin_db.execute(
        "SELECT * FROM messages WHERE business_id = %s AND role = 'customer'", (business_id,)
    ).fetchall()


def test_signed_message_gets_one_reply_listing_in_stock_matches_with_db_prices(
    phone, admin_db, boutique
):
    response = phone.send("Do you have a dress?")

    assert response.status_code == 200
    assert "<Response/>" in response.text
    replies = phone.wait_for_replies(count=1)
    assert len(replies) == 1
    body = replies[0]["body"]
    assert "Blue Floral Midi Dress - KES 2,500" in body
    assert "Red Bodycon Dress - KES 1,800" in body
    assert "Green Satin Dress" not in body  # out of stock
    assert replies[0]["from"] == f"whatsapp:{boutique['number']}"
    agent = admin_db.execute(
        "SELECT * FROM messages WHERE business_id = %s AND role = 'agent'", (boutique["id"],)
    ).fetchall()
    assert [m["delivery_status"] for m in agent] == ["sent"]
    assert agent[0]["external_id"] == replies[0]["sid"]


def test_forged_signature_is_rejected_and_nothing_is_stored(phone, admin_db, boutique):
    response = phone.post(phone.form("hello"), signature="forged-signature")
    missing = httpx.post(phone.webhook_base_url + "/webhook/whatsapp", data=phone.form("hello"))

    assert response.status_code == 403
    assert missing.status_code == 403
    assert stored_customer_messages(admin_db, boutique["id"]) == []
    assert phone.wait_for_replies(count=1, timeout=1.5) == []


def test_tampered_body_fails_the_signature_check(phone, admin_db, boutique):
    fields = phone.form("a dress please")
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(phone.auth_token).compute_signature(
        phone.webhook_base_url + "/webhook/whatsapp", fields
    )
    fields["Body"] = "ignore that, something else"

    assert phone.post(fields, signature=signature).status_code == 403
    assert stored_customer_messages(admin_db, boutique["id"]) == []


def test_unknown_twilio_fields_are_accepted(phone):
    fields = phone.form("skirt")
    fields["SomeNewTwilioField"] = "value"
    fields["ReferralNumMedia"] = "0"

    assert phone.post(fields).status_code == 200
    assert "Kitenge Pencil Skirt" in phone.wait_for_replies(count=1)[0]["body"]


def test_same_message_sid_three_times_stores_one_message_and_sends_one_reply(
    phone, admin_db, boutique
):
    fields = phone.form("blouse")
    statuses = [phone.post(fields).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    replies = phone.wait_for_replies(count=1, settle=2.0)
    assert len(replies) == 1
    assert len(stored_customer_messages(admin_db, boutique["id"])) == 1


def test_message_to_an_unknown_business_number_is_refused_clearly(phone, admin_db):
    phone.business_number = "+254799999999"
    response = phone.post(phone.form("hello"))

    assert response.status_code == 404
    assert "+254799999999" in response.text
    assert (
        admin_db.execute(
            "SELECT count(*) AS n FROM messages WHERE external_id = %s",
            (phone.form("x")["MessageSid"],),
        ).fetchone()["n"]
        == 0
    )


def test_crash_while_sending_is_retried_by_pubsub_and_ends_with_one_reply(
    phone, stack, admin_db, boutique
):
    # Twilio answers 500 to the first send: process_message raises after storing the reply,
    # Pub/Sub redelivers, and the stored reply is sent exactly once.
    httpx.post(
        stack["TWILIO_API_BASE_URL"] + "/_sandbox/fail_next",
        json={"status": 500, "code": 20500, "count": 1},
    )
    phone.send("skirt")

    replies = phone.wait_for_replies(count=1, timeout=30, settle=2.0)
    assert len(replies) == 1
    assert "Kitenge Pencil Skirt - KES 1,600" in replies[0]["body"]
    agent = admin_db.execute(
        "SELECT delivery_status FROM messages WHERE business_id = %s AND role = 'agent'",
        (boutique["id"],),
    ).fetchall()
    assert [m["delivery_status"] for m in agent] == ["sent"]


def test_the_webhook_answers_while_a_turn_holds_the_conversation_lock(
    stack, phone, admin_db, boutique
):
    phone.send("Do you have a dress?")
    assert phone.wait_for_replies(count=1)
    conversation = admin_db.execute(
        "SELECT id, last_customer_message_at FROM conversations WHERE business_id = %s",
        (boutique["id"],),
    ).fetchone()
    phone.profile_name = "Wanjiku Kamau"

    with psycopg.connect(stack["DATABASE_URL"]) as turn, turn.transaction():
        # What process_message holds for a whole turn (up to the model's timeout).
        turn.execute(
            "SELECT id FROM conversations WHERE id = %s FOR NO KEY UPDATE", (conversation["id"],)
        )
        started = time.monotonic()
        response = phone.post(phone.form("and in red?"))
        took = time.monotonic() - started

    assert response.status_code == 200, response.text
    assert took < 2.0, f"the webhook waited {took:.1f}s on the turn's row lock"
    assert len(phone.wait_for_replies(count=1)) == 1  # answered once the turn let go
    after = admin_db.execute(
        "SELECT last_customer_message_at, customer_name FROM conversations WHERE id = %s",
        (conversation["id"],),
    ).fetchone()
    assert after["last_customer_message_at"] > conversation["last_customer_message_at"]
    assert after["customer_name"] == "Wanjiku Kamau"
