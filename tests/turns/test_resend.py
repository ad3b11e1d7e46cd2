"""Resend in-process: "the prompt didn't come" or "Try again" while the order's M-Pesa prompt is
open. This tier has no gateway, so the open prompt is written with SQL (no checkout request id:
nothing to ask the gateway, only the clock decides) and a new prompt fails as "M-Pesa isn't
responding"; the stack journeys (tests/test_journeys_resend.py) send real ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.turns.chat import Chat
from tests.turns.test_taps import picked_dress


def cart_with_open_prompt(chat: Chat, seconds_ago: int) -> str:
    """A dress in the cart, an address given, and a pending order whose prompt went out
    `seconds_ago`; the state points at the order. Returns the order id."""
    picked_dress(chat)
    chat.tap(1)
    chat.press("pay", "Pay with M-Pesa")
    chat.say("Kilimani, Argwings Kodhek Rd")  # no gateway in this tier: no order yet
    sent_at: datetime = chat.clock() - timedelta(seconds=seconds_ago)
    conversation = chat.conversation()
    with psycopg.connect(chat.db.admin, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO orders (business_id, conversation_id, customer_phone, amount,"
            " pay_phone, delivery_info, created_at) VALUES (%s, %s, %s, 2800, %s, '{}', %s)"
            " RETURNING id",
            (chat.shop.id, conversation["id"], chat.phone, chat.phone, sent_at),
        ).fetchone()
        assert row is not None
        order_id = str(row[0])
        conn.execute(
            "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key,"
            " gateway, pay_phone, amount, status, created_at)"
            " VALUES (%s, %s, 1, %s, 'paylink', %s, 2800, 'pending', %s)",
            (chat.shop.id, order_id, f"key-{order_id}", chat.phone, sent_at),
        )
        metadata = dict(conversation["metadata"])
        metadata["order_id"] = order_id
        metadata["last_delivery"] = metadata.pop("delivery", None)
        conn.execute(
            "UPDATE conversations SET metadata = %s WHERE id = %s",
            (Jsonb(metadata), conversation["id"]),
        )
    return order_id


def payment_rows(chat: Chat, order_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with psycopg.connect(chat.db.admin, row_factory=psycopg.rows.dict_row) as conn:
        order = conn.execute(
            "SELECT status, failure_reason, notified_state FROM orders WHERE id = %s",
            (order_id,),
        ).fetchone()
        attempts = conn.execute(
            "SELECT attempt, status, failure_reason FROM payment_attempts WHERE order_id = %s"
            " ORDER BY attempt",
            (order_id,),
        ).fetchall()
    assert order is not None
    return order, attempts


def test_an_open_prompt_past_the_timeout_is_closed_and_a_new_one_tried(chat: Chat):
    order_id = cart_with_open_prompt(chat, seconds_ago=300)

    reply = chat.say("the prompt didn't come")

    assert "Your last M-Pesa prompt has ended without a payment." in reply
    assert "M-Pesa isn't responding" in reply  # the new prompt, refused in this tier
    order, attempts = payment_rows(chat, order_id)
    assert order == {
        "status": "failed",
        "failure_reason": "prompt_timed_out",
        "notified_state": "failed:1",  # answered in the chat: no "payment failed" notice
    }
    assert attempts == [{"attempt": 1, "status": "expired", "failure_reason": "prompt_timed_out"}]


def test_swahili_resend_past_the_timeout(chat: Chat):
    cart_with_open_prompt(chat, seconds_ago=300)

    reply = chat.say("stk haijakuja")

    assert "Ombi lako la M-Pesa lililopita limeisha bila malipo." in reply


def test_try_again_while_the_prompt_is_open_asks_to_wait_and_sends_nothing(chat: Chat):
    order_id = cart_with_open_prompt(chat, seconds_ago=20)

    reply = chat.press(f"retry:{order_id}", "Try again")

    assert chat.last is not None and chat.last.record["intent"] == "retry_payment"
    assert "M-Pesa still has it open" in reply and "ask me again" in reply
    order, attempts = payment_rows(chat, order_id)
    assert order["status"] == "pending"
    assert [a["status"] for a in attempts] == ["pending"]


def test_the_database_refuses_a_second_live_prompt_for_one_order(chat: Chat):
    order_id = cart_with_open_prompt(chat, seconds_ago=20)

    with psycopg.connect(chat.db.admin, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key,"
                " gateway, pay_phone, amount, status)"
                " VALUES (%s, %s, 2, 'second-live', 'paylink', %s, 2800, 'sending')",
                (chat.shop.id, order_id, chat.phone),
            )
