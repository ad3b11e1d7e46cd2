"""Guarantee 1: a message that cannot be answered ends dead-lettered and in front of the owner.

(A message stored while Pub/Sub was down is republished by the sweep: test_outages.py.)
"""

from __future__ import annotations

import json
from typing import Any

from tests.dashboard_helpers import (
    OwnerClient,
)
from tests.reliability.support import (
    conversation_of,
    customer,
    log_lines,
    messages_of,
    wait_for,
)


def dead_letters(stack: dict[str, str], message_id: str) -> list[dict[str, Any]]:
    """Dead-lettered inbound events about this message (acknowledged once read)."""
    from google.cloud import pubsub_v1

    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(
        stack["GCP_PROJECT"], "inbound-messages-dead-letter-inspect"
    )
    found: list[dict[str, Any]] = []
    response = subscriber.pull(request={"subscription": path, "max_messages": 100}, timeout=10)
    for received in response.received_messages:
        payload = json.loads(received.message.data)
        if payload.get("message_id") == message_id:
            found.append(payload)
            subscriber.acknowledge(request={"subscription": path, "ack_ids": [received.ack_id]})
    subscriber.close()
    return found


def test_a_message_whose_processing_keeps_failing_is_dead_lettered_and_flagged_for_the_owner(
    stack, shop, db, twilio, app
):
    phone = customer(stack, shop)
    twilio.fail_next(500, 20500, to=phone.customer_number, count=50)  # Twilio never recovers
    phone.send("do you have a red dress?")
    inbound = wait_for(lambda: [m for m in messages_of(db, shop, phone) if m["role"] == "customer"])
    message_id = str(inbound[0]["id"])

    flagged = wait_for(
        lambda: (conversation_of(db, shop, phone) or {}).get("metadata", {}).get("needs_attention"),
        timeout=90,
    )

    assert flagged is True
    attempts = len(twilio.attempts_to(phone.customer_number))
    assert 1 <= attempts <= 5  # bounded by the subscription's 5 delivery attempts
    assert dead_letters(stack, message_id)
    stored = {m["role"]: m for m in messages_of(db, shop, phone)}
    assert "dead_lettered_at" in stored["customer"]["metadata"]
    assert stored["agent"]["delivery_status"] == "pending"  # kept, for "Send again"
    assert any(
        "dead-lettered" in line and message_id in line
        for line in log_lines(stack, "process_message")
    )
    conversation = conversation_of(db, shop, phone)
    assert conversation is not None
    needing_owner = OwnerClient(app, stack, shop.owner).get(
        "/dashboard/conversations?show=attention"
    )
    assert f"/dashboard/conversations/{conversation['id']}" in needing_owner.text


def old_customer_message(db: Any, shop: Any, conversation_id: str, metadata: dict[str, str]) -> Any:
    return db.execute(
        "INSERT INTO messages (business_id, conversation_id, role, content, metadata, created_at)"
        " VALUES (%s, %s, 'customer', 'lost in transit', %s, now() - interval '5 minutes')"
        " RETURNING id",
        (shop.id, conversation_id, json.dumps(metadata)),
    ).fetchone()["id"]


def test_the_sweep_republishes_unanswered_messages_but_not_dead_lettered_ones(stack, shop, db):
    phone = customer(stack, shop)
    phone.send("kitenge skirt")
    phone.wait_for_replies(count=1, timeout=30)
    conversation = conversation_of(db, shop, phone)
    assert conversation is not None

    with db.transaction(force_rollback=True):  # the running sweep never sees these rows
        stuck = old_customer_message(db, shop, conversation["id"], {})
        given_up = old_customer_message(
            db, shop, conversation["id"], {"dead_lettered_at": "2024-01-01T00:00:00Z"}
        )
        due = {
            row["message_id"]
            for row in db.execute("SELECT * FROM unanswered_inbound(interval '1 minute', 10000)")
        }

    assert stuck in due and given_up not in due
