"""A returning customer end to end, on the running stack: she bought before; she greets, taps
"Same as last time" (or types it in Swahili), gets her last order back in the cart at today's
price, pays with the M-Pesa sandbox, and after the paid notice gets "you may also like"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.journeys import create_demo_boutique, customer_phone, say
from tests.test_journeys import first_size
from tests.test_journeys_taps import tap
from tests.test_suggestions import SUGGESTION, approve_prompt, buy_a_denim_jacket


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, str]:
    return create_demo_boutique()


def set_price(admin_db: Any, business_id: str, sku: str, price: int) -> None:
    admin_db.execute(
        "UPDATE products SET price = %s WHERE business_id = %s AND sku = %s",
        (price, business_id, sku),
    )


def test_a_returning_customer_taps_same_as_last_time_pays_and_is_offered_more(
    stack, demo, admin_db
):
    phone = customer_phone(stack, demo["number"])
    buy_a_denim_jacket(stack, phone)  # her first order, paid at KES 3,200
    set_price(admin_db, demo["id"], "NY-J001", 3500)  # the owner raised the price since

    phone.send("hi")
    greeting = phone.wait_for_answer(timeout=30)
    again = tap(phone, greeting, "Same as last time")
    body = again[0]["body"]
    assert "Here's your last order again, at today's prices:" in body
    assert "Denim Jacket is now KES 3,500 (it was KES 3,200)." in body
    assert "Total: KES 3,500" in body
    where = tap(phone, again, "Pay with M-Pesa")
    assert "Where should we deliver" in where[0]["body"]
    pushed = tap(phone, where, "Same as last time")  # the address of her last order
    assert "Order total KES 3,800 (incl. delivery KES 300)" in pushed[0]["body"]
    paid, suggestion = approve_prompt(stack, phone)[-2:]

    assert "Payment received" in paid["body"] and "Denim Jacket" in paid["body"]
    assert suggestion["body"].startswith(SUGGESTION)
    orders = admin_db.execute(
        "SELECT amount, status, suggested_at FROM orders WHERE business_id = %s"
        " AND customer_phone = %s ORDER BY created_at",
        (demo["id"], phone.customer_number),
    ).fetchall()
    assert [o["status"] for o in orders] == ["paid", "paid"]
    assert all(o["suggested_at"] is not None for o in orders)


def test_a_returning_customer_types_it_in_swahili_and_a_sold_out_item_is_said(
    stack, demo, admin_db
):
    phone = customer_phone(stack, demo["number"])
    found = say(phone, "Habari, nataka sketi")
    say(phone, f"nataka ya kwanza size {first_size(found)}")
    found = say(phone, "nataka gauni ya kitenge")
    say(phone, f"nataka ya kwanza size {first_size(found)}")
    say(phone, "nataka kulipa")
    say(phone, "niko Rongai stage")
    approve_prompt(stack, phone)
    bought = admin_db.execute(
        "SELECT oi.name, oi.sku FROM order_items oi JOIN orders o ON o.id = oi.order_id"
        " WHERE o.business_id = %s AND o.customer_phone = %s ORDER BY oi.name",
        (demo["id"], phone.customer_number),
    ).fetchall()
    assert len(bought) == 2
    sold_out, kept = bought
    admin_db.execute(
        "UPDATE products SET stock = 0 WHERE business_id = %s AND sku = %s",
        (demo["id"], sold_out["sku"]),
    )

    reply = say(phone, "nataka ile ile ya mwisho")

    assert "Hii ni oda yako ya mwisho tena, kwa bei za leo:" in reply
    assert f"Pole, {sold_out['name']}" in reply and "imeisha kwa sasa" in reply
    assert f"1 x {kept['name']}" in reply and f"1 x {sold_out['name']}" not in reply
