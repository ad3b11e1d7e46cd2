""" "You may also like" after payment, on the running stack: once an order is paid the customer
gets one suggestion message, right after the paid notice, of up to 3 products in stock drawn from
what she bought (garment type, colours, the vector index), never what she bought and never a
sold-out product; its rows are taps the agent understands. A redelivered payment event (Pub/Sub
again, or process_payment's work run again) suggests nothing twice."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from duka_local.simulator import WhatsAppSimulator
from tests.conftest import random_kenyan_number
from tests.journeys import create_demo_boutique, customer_phone, say
from tests.test_journeys import first_size

SUGGESTION = "Thank you for your order! You may also like:"


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, str]:
    return create_demo_boutique()


def approve_prompt(stack: dict[str, str], phone: WhatsAppSimulator) -> list[dict[str, Any]]:
    """She enters her PIN: the paid notice, then the suggestion."""
    from duka_local.sandbox_cli import answer_prompt, pending_prompt

    prompt = pending_prompt(stack, phone.customer_number)
    assert prompt is not None, "no M-Pesa prompt on the customer's phone"
    answer_prompt(stack, prompt["reference"], "1234")
    replies = phone.wait_for_replies(count=2, timeout=90, settle=1.0)
    assert len(replies) >= 2, [r["body"] for r in replies]
    return replies


def buy_a_denim_jacket(stack: dict[str, str], phone: WhatsAppSimulator) -> list[dict[str, Any]]:
    found = say(phone, "do you have denim jackets?")
    assert "1. Denim Jacket" in found, found
    say(phone, f"I want #1 in size {first_size(found)}")
    say(phone, "checkout")
    say(phone, "Deliver to Kilimani, Argwings Kodhek Rd, Apt 4B")
    return approve_prompt(stack, phone)


def suggested_names(body: str) -> list[str]:
    return re.findall(r"^\d\. (.+?) - KES", body, re.MULTILINE)


def suggestion_messages(admin_db: Any, order_id: str) -> list[dict[str, Any]]:
    return admin_db.execute(
        "SELECT content, metadata FROM messages WHERE metadata->>'kind' = 'suggestion'"
        " AND metadata->>'order_id' = %s",
        (order_id,),
    ).fetchall()


def paid_order(admin_db: Any, business_id: str, phone: WhatsAppSimulator) -> dict[str, Any]:
    order = admin_db.execute(
        "SELECT * FROM orders WHERE business_id = %s AND customer_phone = %s AND status = 'paid'",
        (business_id, phone.customer_number),
    ).fetchone()
    assert order is not None
    return dict(order)


def test_a_paid_order_gets_one_suggestion_of_in_stock_products_she_did_not_buy(
    stack, demo, admin_db
):
    admin_db.execute(  # the closest match to a denim jacket is sold out today
        "UPDATE products SET stock = 0 WHERE business_id = %s AND sku = 'NY-J003'", (demo["id"],)
    )
    phone = customer_phone(stack, demo["number"])

    paid, suggestion = buy_a_denim_jacket(stack, phone)[-2:]

    assert "Payment received" in paid["body"]
    assert suggestion["body"].startswith(SUGGESTION), suggestion["body"]
    names = suggested_names(suggestion["body"])
    assert 1 <= len(names) <= 3
    assert "Denim Jacket" not in names and "Black Leather Jacket" not in names
    stock = admin_db.execute(
        "SELECT name, stock, active FROM products WHERE business_id = %s AND name = ANY(%s)",
        (demo["id"], names),
    ).fetchall()
    assert len(stock) == len(names) and all(p["stock"] > 0 and p["active"] for p in stock)
    rows = phone.choices(suggestion)
    assert [r.title for r in rows] == names and all(r.payload.startswith("pick:") for r in rows)
    order = paid_order(admin_db, demo["id"], phone)
    assert order["suggested_at"] is not None and order["source"] == "organic"

    phone.tap(suggestion, 1)  # a row of the suggestion is a pick, as after a search
    answer = phone.wait_for_answer(timeout=30)
    assert names[0] in answer[0]["body"], answer[0]["body"]


def test_a_redelivered_payment_event_suggests_nothing_twice(stack, demo, admin_db):
    from duka import publishing
    from duka.orders.notifications import notify_payment_event

    phone = customer_phone(stack, demo["number"])
    buy_a_denim_jacket(stack, phone)
    order = paid_order(admin_db, demo["id"], phone)
    event = {
        "business_id": demo["id"],
        "order_id": str(order["id"]),
        "attempt": order["attempt"],
        "event": "paid",
    }

    publishing.publish(publishing.PAYMENT_EVENTS, event)  # Pub/Sub delivers it again
    notify_payment_event(event)  # and process_payment's work runs again, late
    time.sleep(3)

    assert len(suggestion_messages(admin_db, str(order["id"]))) == 1
    assert phone.wait_for_replies(count=1, timeout=2) == []


def seeded_paid_order(
    admin_db: Any, business_id: str, *, wrote_hours_ago: float, taken_over: bool = False
) -> str:
    """A chat whose customer last wrote `wrote_hours_ago`, and her paid Denim Jacket order."""
    conversation = admin_db.execute(
        "INSERT INTO conversations (business_id, customer_phone, last_customer_message_at,"
        " status, metadata) VALUES (%s, %s, now() - make_interval(secs => %s), %s, %s)"
        " RETURNING id",
        (
            business_id,
            random_kenyan_number(),
            wrote_hours_ago * 3600,
            "handed_over" if taken_over else "active",
            Jsonb({"taken_over_by": "+254700000001"} if taken_over else {}),
        ),
    ).fetchone()
    jacket = admin_db.execute(
        "SELECT * FROM products WHERE business_id = %s AND sku = 'NY-J001'", (business_id,)
    ).fetchone()
    order = admin_db.execute(
        "INSERT INTO orders (business_id, conversation_id, customer_phone, amount, status,"
        " paid_at) SELECT business_id, id, customer_phone, %s, 'paid', now()"
        " FROM conversations WHERE id = %s RETURNING id",
        (jacket["price"], conversation["id"]),
    ).fetchone()
    admin_db.execute(
        "INSERT INTO order_items (business_id, order_id, product_id, sku, name, size, quantity,"
        " unit_price, line_total) VALUES (%s, %s, %s, %s, %s, 'M', 1, %s, %s)",
        (
            business_id,
            order["id"],
            jacket["id"],
            jacket["sku"],
            jacket["name"],
            jacket["price"],
            jacket["price"],
        ),
    )
    return str(order["id"])


@pytest.mark.parametrize(
    ("wrote_hours_ago", "taken_over", "suggested"),
    [(1, False, 1), (25, False, 0), (1, True, 0)],
    ids=["inside-the-window", "outside-the-24-hour-window", "owner-has-the-chat"],
)
def test_a_suggestion_goes_only_inside_the_window_and_never_while_the_owner_has_the_chat(
    stack, demo, admin_db, wrote_hours_ago: float, taken_over: bool, suggested: int
):
    from duka.orders.suggestions import suggest_after_payment

    order_id = seeded_paid_order(
        admin_db, demo["id"], wrote_hours_ago=wrote_hours_ago, taken_over=taken_over
    )

    suggest_after_payment(demo["id"], order_id)
    suggest_after_payment(demo["id"], order_id)  # claimed: the second run does nothing

    assert len(suggestion_messages(admin_db, order_id)) == suggested
    claimed = admin_db.execute("SELECT suggested_at FROM orders WHERE id = %s", (order_id,))
    assert claimed.fetchone()["suggested_at"] is not None
