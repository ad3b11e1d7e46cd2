"""Buying by taps alone, end to end: the first message is typed, then every step is a tap on a
WhatsApp list row or button (ListId / ButtonPayload through the signed webhook), the M-Pesa
prompt is approved in the sandbox and the order is paid."""

from __future__ import annotations

from typing import Any

import pytest

from duka_local.simulator import WhatsAppSimulator
from tests.journeys import create_demo_boutique, customer_phone
from tests.test_journeys import pay_with_pin


@pytest.fixture(scope="module")
def pickup_shop(stack) -> dict[str, str]:
    """The demo boutique with pickup at the shop allowed, so no address has to be typed."""
    return create_demo_boutique({"shop": {"pickup": True}})


def tappable(phone: WhatsAppSimulator, replies: list[dict[str, Any]]) -> dict[str, Any]:
    """The reply that came with buttons or a list (a photo may follow it on its own)."""
    with_choices = [r for r in replies if phone.choices(r)]
    assert with_choices, f"no buttons or list in {[r['body'] for r in replies]}"
    return with_choices[-1]


def tap(
    phone: WhatsAppSimulator, replies: list[dict[str, Any]], title: str
) -> list[dict[str, Any]]:
    """Tap the option whose title starts with `title`; the answer's messages."""
    reply = tappable(phone, replies)
    titles = [c.title for c in phone.choices(reply)]
    number = next(n for n, t in enumerate(titles, 1) if t.startswith(title))
    phone.tap(reply, number)
    answer = phone.wait_for_answer(timeout=30)
    assert answer, f"no answer to the tap on {title!r}"
    return answer


def test_a_customer_buys_by_taps_alone(stack, pickup_shop, admin_db):
    phone = customer_phone(stack, pickup_shop["number"])
    phone.send("red dress")
    results = phone.wait_for_answer(timeout=30)
    rows = phone.choices(tappable(phone, results))
    assert rows and all(r.kind == "list" and r.payload.startswith("pick:") for r in rows)
    dress = next(r for r in rows if r.title == "Red Bodycon Dress")

    sizes = tap(phone, results, dress.title)
    assert [c.title for c in phone.choices(tappable(phone, sizes))] == ["S", "M"]
    added = tap(phone, sizes, "M")
    assert "Red Bodycon Dress (size M)" in added[0]["body"]
    assert [c.title for c in phone.choices(added[0])] == ["Pay with M-Pesa", "Edit cart"]
    where = tap(phone, added, "Pay with M-Pesa")
    assert "Where should we deliver" in where[0]["body"]
    pushed = tap(phone, where, "Pick up at the shop")
    assert "M-Pesa" in pushed[0]["body"] and "KES 1,800" in pushed[0]["body"]
    confirmation = pay_with_pin(stack, phone, "1234")

    assert "Payment received" in confirmation
    order = admin_db.execute(
        "SELECT status, amount FROM orders WHERE business_id = %s AND customer_phone = %s",
        (pickup_shop["id"], phone.customer_number),
    ).fetchone()
    assert order["status"] == "paid" and order["amount"] == 1800  # pickup: no delivery fee
    typed = admin_db.execute(
        "SELECT content, metadata->'tap'->>'payload' AS payload FROM messages"
        " WHERE business_id = %s AND role = 'customer' AND conversation_id ="
        " (SELECT id FROM conversations WHERE business_id = %s AND customer_phone = %s)"
        " ORDER BY created_at",
        (pickup_shop["id"], pickup_shop["id"], phone.customer_number),
    ).fetchall()
    assert typed[0] == {"content": "red dress", "payload": None}
    assert [m["payload"].split(":")[0] for m in typed[1:]] == ["pick", "size", "pay", "addr"]


def test_a_failed_payment_offers_try_again_and_the_tap_prompts_again(stack, pickup_shop):
    phone = customer_phone(stack, pickup_shop["number"])
    phone.send("red bodycon dress size S")
    results = phone.wait_for_answer(timeout=30)
    added = tap(phone, tap(phone, results, "Red Bodycon Dress"), "S")
    pushed = tap(phone, tap(phone, added, "Pay with M-Pesa"), "Pick up at the shop")
    assert "M-Pesa" in pushed[0]["body"]

    from duka_local.sandbox_cli import answer_prompt, pending_prompt

    prompt = pending_prompt(stack, phone.customer_number)
    assert prompt is not None
    answer_prompt(stack, prompt["reference"], "cancel")
    notice = phone.wait_for_replies(count=1, timeout=30, settle=0.5)
    assert [c.title for c in phone.choices(notice[-1])] == ["Try again", "Other ways to pay"]
    again = tap(phone, notice, "Try again")

    assert "M-Pesa" in again[0]["body"]
    assert pending_prompt(stack, phone.customer_number) is not None


def test_a_content_twilio_no_longer_holds_is_made_again_and_sent(stack, pickup_shop, admin_db):
    """A restarted local sandbox (or another stack's) forgets the ContentSids we recorded:
    Twilio answers 21655 and the buttons are made again, not lost."""
    first = customer_phone(stack, pickup_shop["number"])
    first.send("hi")
    assert first.choices(tappable(first, first.wait_for_answer(timeout=30)))
    admin_db.execute(
        "UPDATE whatsapp_contents SET content_sid = 'HX' || repeat('0', 32)"
        " WHERE friendly_name LIKE 'duka_interactive_%'"
    )
    phone = customer_phone(stack, pickup_shop["number"])
    phone.send("hi")

    greeting = tappable(phone, phone.wait_for_answer(timeout=30))

    assert [c.title for c in phone.choices(greeting)] == ["Browse", "My order", "Talk to a person"]
