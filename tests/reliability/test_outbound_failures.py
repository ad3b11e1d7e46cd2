"""Guarantee 3: Twilio failures are retried when they may pass, recorded and shown when not."""

from __future__ import annotations

import time

from tests.dashboard_helpers import (
    OwnerClient,
)
from tests.reliability.support import conversation_of, customer, replies_to, wait_for


def test_rate_limited_and_failing_twilio_is_retried_until_the_one_reply_goes_out(
    stack, shop, db, twilio
):
    phone = customer(stack, shop)
    twilio.fail_next(429, 20429, to=phone.customer_number)
    twilio.fail_next(503, 20503, to=phone.customer_number)
    phone.send("blue floral midi dress")

    replies = phone.wait_for_replies(count=1, timeout=40, settle=3.0)
    assert len(replies) == 1 and "Blue Floral Midi Dress" in replies[0]["body"]
    assert [a["status"] for a in twilio.attempts_to(phone.customer_number)] == [429, 503, 201]
    assert [r["delivery_status"] for r in replies_to(db, shop, phone)] == ["sent"]


def test_a_reply_outside_the_24_hour_window_is_recorded_failed_not_retried_and_shown(
    stack, shop, db, twilio, app
):
    phone = customer(stack, shop)
    twilio.fail_next(400, 63016, to=phone.customer_number)
    phone.send("do you have skirts?")

    failed = wait_for(
        lambda: [r for r in replies_to(db, shop, phone) if r["delivery_status"] == "failed"]
    )
    assert failed and "63016" in failed[0]["delivery_error"]
    time.sleep(4)  # a retry would have come within Pub/Sub's first backoffs
    assert [a["status"] for a in twilio.attempts_to(phone.customer_number)] == [400]
    assert [r["delivery_status"] for r in replies_to(db, shop, phone)] == ["failed"]
    conversation = conversation_of(db, shop, phone)
    assert conversation is not None
    assert conversation["metadata"]["needs_attention"] is True
    owner = OwnerClient(app, stack, shop.owner)
    thread = owner.get(f"/dashboard/conversations/{conversation['id']}").text
    assert "not delivered" in thread and "63016" in thread
    needing_owner = owner.get("/dashboard/conversations?show=attention").text
    assert f"/dashboard/conversations/{conversation['id']}" in needing_owner


def test_the_owner_replying_a_day_later_sends_no_free_text_and_is_told_why(
    stack, shop, db, twilio, app
):
    phone = customer(stack, shop)
    phone.send("white blouse")
    phone.wait_for_replies(count=1, timeout=30)
    conversation = conversation_of(db, shop, phone)
    assert conversation is not None
    db.execute(
        "UPDATE conversations SET last_customer_message_at = now() - interval '25 hours'"
        " WHERE id = %s",
        (conversation["id"],),
    )
    owner = OwnerClient(app, stack, shop.owner)
    path = f"/dashboard/conversations/{conversation['id']}"
    owner.post(path + "/takeover")

    owner.post(path + "/reply", {"text": "Hi, the blouse is back in stock in size M!"})

    assert len(twilio.attempts_to(phone.customer_number)) == 1  # only the first, in-window reply
    owner_reply = db.execute(
        "SELECT delivery_status, delivery_error FROM messages WHERE conversation_id = %s"
        " AND role = 'owner'",
        (conversation["id"],),
    ).fetchone()
    assert owner_reply["delivery_status"] == "failed"
    assert "24 hours" in owner_reply["delivery_error"]
    assert "24 hours" in owner.get(path).text
