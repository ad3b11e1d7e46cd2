"""Lipa pole pole journeys end to end, offline, in English and Swahili: ask to pay in
instalments, give the address, pay the deposit, ask the balance, pay a named amount, pay the
balance; the order is paid and the owner marks it dispatched on the dashboard. Every prompt is
a real one on the running stack's PayLink sandbox, answered with the PIN."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.dashboard_helpers import sandbox_messages, signed_in_owner
from tests.journeys import create_demo_boutique, customer_phone, say
from tests.payments_support import wait_until
from tests.test_journeys import first_size, pay_with_pin

LAYAWAY = {
    "enabled": True,
    "min_deposit_percent": 30,
    "term_days": 30,
    "reminder_every_days": 7,
    "deposit_policy": "store_credit",
}


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, str]:
    return create_demo_boutique(settings={"layaway": LAYAWAY})


@pytest.fixture()
def warm_sign_in(stack, demo, admin_db) -> None:
    """A cold stack's first sign-in code can still be on its way when the page answers (its
    template is registered first); wait for it once so the owner's sign-in later is prompt."""
    try:
        with signed_in_owner(stack, admin_db, demo["id"]):
            return
    except AssertionError:
        wait_until(
            lambda: any(
                "verification code" in m["body"] for m in sandbox_messages(stack, demo["owner"])
            ),
            timeout=60,
        )


def the_order(admin_db: Any, business_id: str, customer: str) -> dict[str, Any]:
    order = admin_db.execute(
        "SELECT * FROM orders WHERE business_id = %s AND customer_phone = %s",
        (business_id, customer),
    ).fetchone()
    assert order is not None
    return dict(order)


def kes(amount: int) -> str:
    return f"KES {amount:,}"


def dispatch(stack, admin_db, business_id: str, order_id: str) -> None:
    with signed_in_owner(stack, admin_db, business_id) as owner:
        response = owner.post(f"/dashboard/orders/{order_id}/fulfilment", {"status": "shipped"})
        assert response.status_code == 302


def test_three_payments_then_paid_then_dispatched(stack, demo, admin_db, warm_sign_in):
    phone = customer_phone(stack, demo["number"])
    found = say(phone, "do you have denim jackets?", timeout=120)  # a cold stack loads models
    say(phone, f"I want #1 in size {first_size(found)}")
    asked = say(phone, "can I pay in instalments?")
    terms = say(phone, "Deliver to Kilimani, Argwings Kodhek Rd, Apt 4B")
    order = the_order(admin_db, demo["id"], phone.customer_number)
    total, deposit = int(order["amount"]), math.ceil(int(order["amount"]) * 0.3)
    first = pay_with_pin(stack, phone, "1234")
    balance = say(phone, "how much is left?")
    prompted = say(phone, "I want to pay 1000")
    second = pay_with_pin(stack, phone, "1234")
    rest = total - deposit - 1000
    last_prompt = say(phone, "pay balance")
    paid = pay_with_pin(stack, phone, "1234")
    dispatch(stack, admin_db, demo["id"], str(order["id"]))
    [shipped] = phone.wait_for_replies(count=1)

    assert "Where should we deliver" in asked
    assert f"Lipa pole pole: order total {kes(total)}." in terms
    assert f"Deposit at least 30% ({kes(deposit)})" in terms and "within 30 days" in terms
    assert f"M-Pesa prompt for your deposit of {kes(deposit)}" in terms
    assert f"Received {kes(deposit)} for your lipa pole pole order." in first
    assert f"Balance: {kes(total - deposit)}, due by" in first
    assert f"paid {kes(deposit)} of {kes(total)}. Balance {kes(total - deposit)}" in balance
    assert "I've sent an M-Pesa prompt for KES 1,000" in prompted
    assert "Received KES 1,000" in second and f"Balance: {kes(rest)}" in second
    assert f"I've sent an M-Pesa prompt for {kes(rest)}" in last_prompt
    assert "Payment received" in paid
    assert "is on its way" in shipped["body"]
    done = the_order(admin_db, demo["id"], phone.customer_number)
    assert (done["status"], done["fulfillment_status"]) == ("paid", "shipped")
    amounts = admin_db.execute(
        "SELECT amount FROM payments WHERE order_id = %s ORDER BY created_at", (order["id"],)
    ).fetchall()
    assert [int(row["amount"]) for row in amounts] == [deposit, 1000, rest]


def test_swahili_three_payments_then_paid_then_dispatched(stack, demo, admin_db, warm_sign_in):
    phone = customer_phone(stack, demo["number"])
    found = say(phone, "Habari, nataka gauni ya kitenge", timeout=120)
    say(phone, f"nataka ya kwanza size {first_size(found)}")
    say(phone, "nilipe kidogo kidogo")
    terms = say(phone, "niko Rongai stage")
    order = the_order(admin_db, demo["id"], phone.customer_number)
    total, deposit = int(order["amount"]), math.ceil(int(order["amount"]) * 0.3)
    first = pay_with_pin(stack, phone, "1234")
    balance = say(phone, "nimebaki na ngapi?")
    prompted = say(phone, "nilipe 500 zaidi")
    second = pay_with_pin(stack, phone, "1234")
    rest = total - deposit - 500
    last_prompt = say(phone, "lipa salio")
    paid = pay_with_pin(stack, phone, "1234")
    dispatch(stack, admin_db, demo["id"], str(order["id"]))
    [shipped] = phone.wait_for_replies(count=1)

    assert f"Lipa pole pole: jumla ya oda {kes(total)}." in terms
    assert f"Deposit angalau 30% ({kes(deposit)})" in terms
    assert f"Nimetuma ombi la M-Pesa la deposit yako ya {kes(deposit)}" in terms
    assert f"Tumepokea {kes(deposit)} kwa oda yako ya lipa pole pole." in first
    assert f"umelipa {kes(deposit)} kati ya {kes(total)}" in balance
    assert "Nimetuma ombi la M-Pesa la KES 500" in prompted
    assert "Tumepokea KES 500" in second and f"Salio: {kes(rest)}" in second
    assert f"Nimetuma ombi la M-Pesa la {kes(rest)}" in last_prompt
    assert "Malipo yamepokelewa" in paid
    assert "iko njiani" in shipped["body"]
    done = the_order(admin_db, demo["id"], phone.customer_number)
    assert (done["status"], done["fulfillment_status"]) == ("paid", "shipped")
