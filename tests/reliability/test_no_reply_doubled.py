"""Guarantee 2: each inbound message gets exactly one reply, whatever is delivered twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.reliability.support import (
    customer,
    messages_of,
    publish_inbound_event,
    replies_to,
    wait_for,
)


def test_pubsub_delivering_one_event_four_times_at_once_sends_one_reply(stack, shop, db):
    phone = customer(stack, shop)
    phone.send("do you have a white blouse?")
    inbound = wait_for(lambda: [m for m in messages_of(db, shop, phone) if m["role"] == "customer"])
    payload = {
        "business_id": shop.id,
        "conversation_id": str(inbound[0]["conversation_id"]),
        "message_id": str(inbound[0]["id"]),
    }
    publish_inbound_event(payload, copies=3)  # with the webhook's own publish: four deliveries

    replies = phone.wait_for_replies(count=1, timeout=30, settle=4.0)
    assert len(replies) == 1 and "White Cotton Blouse" in replies[0]["body"]
    assert [r["delivery_status"] for r in replies_to(db, shop, phone)] == ["sent"]


def test_twilio_retrying_the_webhook_concurrently_stores_and_answers_once(stack, shop, db):
    phone = customer(stack, shop)
    fields = phone.form("kitenge skirt please")

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(pool.map(lambda _: phone.post(fields).status_code, range(3)))

    assert statuses == [200, 200, 200]
    replies = phone.wait_for_replies(count=1, timeout=30, settle=4.0)
    assert len(replies) == 1 and "Kitenge Pencil Skirt" in replies[0]["body"]
    stored = messages_of(db, shop, phone)
    assert [m["role"] for m in stored] == ["customer", "agent"]


def test_a_run_dying_after_twilio_took_the_reply_records_it_instead_of_sending_again(
    stack, shop, db, twilio
):
    # Twilio takes the message, then the answer is lost (as if the function died before marking
    # it sent): the redelivered run must find the message at Twilio, not send a second one.
    phone = customer(stack, shop)
    twilio.fail_next(500, 20500, to=phone.customer_number, accept=True)
    phone.send("red bodycon dress")

    reply = wait_for(
        lambda: [r for r in replies_to(db, shop, phone) if r["delivery_status"] == "sent"]
    )
    assert reply, "the reply was never recorded as sent"
    sent = twilio.messages_to(phone.customer_number)
    assert len(sent) == 1 and "Red Bodycon Dress" in sent[0]["body"]
    assert reply[0]["external_id"] == sent[0]["sid"]
    phone.wait_for_replies(count=1, timeout=5, settle=3.0)
    assert len(twilio.attempts_to(phone.customer_number)) == 1  # never re-sent
