"""Resend journeys end to end, offline: a prompt that never arrives, then a resend, then paid,
in English and Swahili, against the PayLink sandbox of the running stack."""

from __future__ import annotations

from typing import Any

import pytest

from tests.journeys import create_demo_boutique, customer_phone, say
from tests.test_journeys import first_size, pay_with_pin


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, str]:
    return create_demo_boutique()


def pushed_order(phone: Any, words: dict[str, str]) -> str:
    """Search, add, checkout and give the address; returns the reply to the address."""
    found = say(phone, words["search"])
    say(phone, words["add"].format(size=first_size(found)))
    say(phone, words["checkout"])
    return say(phone, words["address"])


def lose_the_prompt(stack: dict[str, str], customer_number: str) -> None:
    """The prompt never reaches the phone: M-Pesa times it out and its callback is lost."""
    from duka_local.sandbox_cli import answer, pending_prompt

    prompt = pending_prompt(stack, customer_number)
    assert prompt is not None, "no M-Pesa prompt was sent"
    answer(stack, prompt["reference"], "timeout", lose_callback=True)


def order_payments(admin_db: Any, business_id: str, customer_number: str) -> dict[str, Any]:
    order = admin_db.execute(
        "SELECT id, status, attempt FROM orders WHERE business_id = %s AND customer_phone = %s",
        (business_id, customer_number),
    ).fetchone()
    attempts = admin_db.execute(
        "SELECT attempt, status FROM payment_attempts WHERE order_id = %s ORDER BY attempt",
        (order["id"],),
    ).fetchall()
    return {
        "status": order["status"],
        "attempt": order["attempt"],
        "attempts": [(a["attempt"], a["status"]) for a in attempts],
    }


ENGLISH = {
    "search": "do you have denim jackets?",
    "add": "I want #1 in size {size}",
    "checkout": "checkout",
    "address": "Deliver to Kilimani, Argwings Kodhek Rd, Apt 4B",
}
SWAHILI = {
    "search": "Habari, nataka gauni ya kitenge",
    "add": "nataka ya kwanza size {size}",
    "checkout": "nataka kulipa",
    "address": "niko Rongai stage",
}


def test_a_prompt_that_never_arrives_then_a_resend_then_paid(stack, demo, admin_db):
    phone = customer_phone(stack, demo["number"])
    pushed = pushed_order(phone, ENGLISH)
    wait = say(phone, "the prompt didn't come")
    lose_the_prompt(stack, phone.customer_number)
    resent = say(phone, "the prompt didn't come")
    paid = pay_with_pin(stack, phone, "1234")

    assert "I've sent an M-Pesa prompt" in pushed
    assert "M-Pesa still has it open" in wait and "ask me again" in wait
    assert "Your last M-Pesa prompt has ended without a payment." in resent
    assert "I've sent an M-Pesa prompt" in resent
    assert "Payment received" in paid
    payments = order_payments(admin_db, demo["id"], phone.customer_number)
    assert payments["status"] == "paid" and payments["attempt"] == 2
    assert payments["attempts"] == [(1, "failed"), (2, "paid")]


def test_swahili_prompt_never_arrives_then_resend_then_paid(stack, demo, admin_db):
    phone = customer_phone(stack, demo["number"])
    pushed = pushed_order(phone, SWAHILI)
    wait = say(phone, "stk haijakuja")
    lose_the_prompt(stack, phone.customer_number)
    resent = say(phone, "stk haijakuja")
    pay_with_pin(stack, phone, "1234")

    assert "Nimetuma ombi la M-Pesa" in pushed
    assert "M-Pesa bado inalisubiri" in wait and "niulize tena" in wait
    assert "Ombi lako la M-Pesa lililopita limeisha bila malipo." in resent
    assert "Nimetuma ombi la M-Pesa" in resent
    payments = order_payments(admin_db, demo["id"], phone.customer_number)
    assert payments["status"] == "paid"
    assert payments["attempts"] == [(1, "failed"), (2, "paid")]


def test_a_prompt_the_gateway_keeps_open_past_the_timeout_is_replaced(stack, demo, admin_db):
    phone = customer_phone(stack, demo["number"])
    pushed_order(phone, ENGLISH)
    # The prompt went out five minutes ago and M-Pesa still reports it pending.
    admin_db.execute(
        "UPDATE payment_attempts a SET created_at = now() - interval '5 minutes' FROM orders o"
        " WHERE o.id = a.order_id AND o.business_id = %s AND o.customer_phone = %s",
        (demo["id"], phone.customer_number),
    )
    resent = say(phone, "the prompt didn't come")
    paid = pay_with_pin(stack, phone, "1234")

    assert "Your last M-Pesa prompt has ended without a payment." in resent
    assert "Payment received" in paid
    payments = order_payments(admin_db, demo["id"], phone.customer_number)
    assert payments["attempts"] == [(1, "expired"), (2, "paid")]
