"""Payment trouble in-process: "the prompt didn't come", "nimelipa", a pasted M-Pesa code. The
open payment is written with SQL (the in-process tier has no gateway to send a prompt)."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from tests.turns.chat import Chat

SENT_AT = datetime(2026, 11, 30, 11, 5, tzinfo=UTC)  # 14:05 in Nairobi


def open_payment(chat: Chat) -> None:
    chat.say("hi")
    conversation_id = chat.conversation()["id"]
    with psycopg.connect(chat.db.admin, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO orders (business_id, conversation_id, customer_phone, amount,"
            " pay_phone, created_at) VALUES (%s, %s, %s, 2500, %s, %s) RETURNING id",
            (chat.shop.id, conversation_id, chat.phone, chat.phone, SENT_AT),
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key,"
            " gateway, pay_phone, amount, status, created_at)"
            " VALUES (%s, %s, 1, %s, 'paylink', %s, 2500, 'pending', %s)",
            (chat.shop.id, row[0], f"key-{row[0]}", chat.phone, SENT_AT),
        )


def test_a_pending_payment_names_when_and_where_the_prompt_went(chat: Chat):
    open_payment(chat)

    reply = chat.say("the prompt didn't come")

    masked = "0" + chat.phone.removeprefix("+254")
    assert "14:05" in reply and f"{masked[:4]} *** {masked[7:]}" in reply
    assert "KES 2,500" in reply and "checkout" in reply


def test_sheng_prompt_trouble_gets_the_swahili_status(chat: Chat):
    open_payment(chat)

    reply = chat.say("stk haijakuja")

    assert "saa 14:05" in reply


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
