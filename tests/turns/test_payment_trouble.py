"""Payment trouble in-process: "the prompt didn't come", "nimelipa", a pasted M-Pesa code. The
open payment is written with SQL (the in-process tier has no gateway to send a prompt)."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from duka.payments.daraja import NAIROBI
from tests.turns.chat import Chat


def sent_seconds_ago(chat: Chat, seconds: int) -> datetime:
    return chat.clock() - timedelta(seconds=seconds)


def nairobi_time(moment: datetime) -> str:
    return moment.astimezone(NAIROBI).strftime("%H:%M")


def open_payment(chat: Chat, sent_at: datetime | None = None) -> datetime:
    """A pending order whose prompt went out `sent_at` (20 s ago by default); returns it."""
    sent_at = sent_at or sent_seconds_ago(chat, 20)
    chat.say("hi")
    conversation_id = chat.conversation()["id"]
    with psycopg.connect(chat.db.admin, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO orders (business_id, conversation_id, customer_phone, amount,"
            " pay_phone, created_at) VALUES (%s, %s, %s, 2500, %s, %s) RETURNING id",
            (chat.shop.id, conversation_id, chat.phone, chat.phone, sent_at),
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key,"
            " gateway, pay_phone, amount, status, created_at)"
            " VALUES (%s, %s, 1, %s, 'paylink', %s, 2500, 'pending', %s)",
            (chat.shop.id, row[0], f"key-{row[0]}", chat.phone, sent_at),
        )
    return sent_at


def test_a_pending_payment_names_when_and_where_the_prompt_went(chat: Chat):
    sent_at = open_payment(chat)

    reply = chat.say("the prompt didn't come")

    masked = "0" + chat.phone.removeprefix("+254")
    assert nairobi_time(sent_at) in reply and f"{masked[:4]} *** {masked[7:]}" in reply
    assert "KES 2,500" in reply
    # Still open at the gateway: wait until M-Pesa's timeout, then ask again.
    assert f"by {nairobi_time(sent_at + timedelta(seconds=90))}, ask me again" in reply


def test_sheng_prompt_trouble_gets_the_swahili_status(chat: Chat):
    sent_at = open_payment(chat)

    reply = chat.say("stk haijakuja")

    assert f"saa {nairobi_time(sent_at)}" in reply and "niulize tena" in reply


def test_no_open_payment_offers_checkout(chat: Chat):
    reply = chat.say("nmelipa doh")

    assert "checkout" in reply
    assert chat.orders() == 0


def test_a_pasted_receipt_code_is_noted_and_flagged_for_the_owner(chat: Chat):
    open_payment(chat)

    reply = chat.say("nimetuma code ni QHK3TY7PLM")

    assert "QHK3TY7PLM" in reply and "mwenye duka" in reply.lower()
    metadata = chat.conversation()["metadata"]
    assert metadata["needs_attention"] is True
    assert metadata["attention_reason"] == "payment_check"
