"""Follow-up journeys end to end, offline, in English and Swahili: she fills a cart and goes
quiet; an hour later the reminder comes; she taps Pay, gives her address, pays with her PIN, and
the order is credited to the follow-up (orders.source). Once paid, nothing more is sent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from duka.orders.follow_up_job import run_follow_ups
from tests.journeys import create_demo_boutique, customer_phone, say
from tests.payments_support import as_app_role
from tests.test_journeys import first_size, pay_with_pin
from tests.test_stock_alerts import tap


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, str]:
    return create_demo_boutique()


@pytest.fixture()
def app_role(stack, monkeypatch) -> Iterator[None]:
    with as_app_role(stack, monkeypatch):
        yield


def go_quiet(admin_db: Any, business_id: str, customer: str, minutes: int) -> None:
    admin_db.execute(
        "UPDATE conversations SET last_customer_message_at = now() - make_interval(mins => %s)"
        " WHERE business_id = %s AND customer_phone = %s",
        (minutes, business_id, customer),
    )


ENGLISH = {
    "search": "do you have denim jackets?",
    "add": "I want #1 in size {size}",
    "reminder": "Hi! Your cart at ",
    "pay": "Pay with M-Pesa",
    "where": "Where should we deliver",
    "address": "Deliver to Kilimani, Argwings Kodhek Rd, Apt 4B",
    "pushed": "I've sent an M-Pesa prompt",
}
SWAHILI = {
    "search": "Habari, nataka gauni ya kitenge",
    "add": "nataka ya kwanza size {size}",
    "reminder": "Habari! Cart yako kwa ",
    "pay": "Lipa kwa M-Pesa",
    "where": "Tukuletee wapi?",
    "address": "niko Rongai stage",
    "pushed": "Nimetuma ombi la M-Pesa",
}


@pytest.mark.parametrize("words", [ENGLISH, SWAHILI], ids=["en", "sw"])
def test_a_quiet_cart_is_reminded_then_paid_and_credited_to_the_follow_up(
    stack, demo, admin_db, app_role, words
):
    phone = customer_phone(stack, demo["number"])
    found = say(phone, words["search"])
    say(phone, words["add"].format(size=first_size(found)))
    go_quiet(admin_db, demo["id"], phone.customer_number, 61)

    run_follow_ups()  # (or the stack's own tick)
    [reminder] = phone.wait_for_replies(count=1)
    asked = tap(phone, [reminder], words["pay"])
    pushed = say(phone, words["address"])
    paid = pay_with_pin(stack, phone, "1234")

    assert reminder["body"].startswith(words["reminder"])
    assert words["where"] in asked
    assert words["pushed"] in pushed
    assert "Payment received" in paid or "Malipo yamepokelewa" in paid
    order = admin_db.execute(
        "SELECT o.status, o.source, o.source_ref, f.id AS follow_up FROM orders o"
        " JOIN follow_ups f ON f.conversation_id = o.conversation_id"
        " WHERE o.business_id = %s AND o.customer_phone = %s",
        (demo["id"], phone.customer_number),
    ).fetchone()
    assert (order["status"], order["source"]) == ("paid", "follow_up")
    assert order["source_ref"] == str(order["follow_up"])

    go_quiet(admin_db, demo["id"], phone.customer_number, 120)
    run_follow_ups()
    time.sleep(4.5)  # two of the stack's ticks
    later = phone.wait_for_replies(count=1, timeout=1)  # (a suggestion may follow a payment)
    assert not [r for r in later if r["body"].startswith(words["reminder"])]
    sent = admin_db.execute(
        "SELECT count(*) AS n FROM follow_ups WHERE business_id = %s AND customer_phone = %s",
        (demo["id"], phone.customer_number),
    ).fetchone()
    assert sent["n"] == 1  # paid: the cart is empty, nothing more is due
