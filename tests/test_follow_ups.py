"""Follow-ups on the real stack: a customer who leaves items in her cart and goes quiet for an
hour gets one reminder with "Pay with M-Pesa" / "Edit cart"; one whose M-Pesa prompt she cancelled
gets one offer to try again, whose "Try again" sends a new prompt from the sandbox. At most two
per cart, 20 hours apart; nothing after STOP, while the owner has the chat, or when the owner
switched the kind off; outside the 24-hour window only a customer who opted in hears from us,
and then as the MARKETING template. Two job runs at once send once.

Quiet is made by moving timestamps in the database, never by sleeping. The job runs in this
process as the application role (RLS applies), alongside the stack's own ticks (every 2 s),
which must not send twice either. Messages go through the Twilio sandbox.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from duka.orders.follow_up_job import run_follow_ups
from duka.whatsapp_templates import TEMPLATES
from duka_local.simulator import WhatsAppSimulator
from tests.journeys import customer_phone
from tests.payments_support import Shop, as_app_role
from tests.test_stock_alerts import body, chat, last_wrote, tap

DRESS = "T-D2"  # Red Bodycon Dress, KES 1,800, in the small catalogue
TICKS = 4.5  # two of the stack's own scheduled ticks


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def leave_cart(shop: Shop, phone: WhatsAppSimulator, quiet_minutes: float) -> None:
    """She said hello, put the red dress (M) in her cart, and has been quiet since."""
    chat(phone, "hi")
    dress = shop.product(DRESS)
    item = {
        "product_id": str(dress["id"]),
        "sku": DRESS,
        "name": dress["name"],
        "quantity": 1,
        "unit_price": "1800.00",
        "size": "M",
    }
    shop.admin.execute(
        "UPDATE conversations SET metadata = metadata || %s WHERE business_id = %s"
        " AND customer_phone = %s",
        (Jsonb({"cart": {"items": [item]}}), shop.business_id, phone.customer_number),
    )
    quiet(shop, phone, quiet_minutes)


def quiet(shop: Shop, phone: WhatsAppSimulator, minutes: float) -> None:
    shop.admin.execute(
        "UPDATE conversations SET last_customer_message_at = now() - make_interval(mins => %s)"
        " WHERE business_id = %s AND customer_phone = %s",
        (minutes, shop.business_id, phone.customer_number),
    )


def sent_follow_ups(shop: Shop, phone: WhatsAppSimulator) -> list[dict[str, Any]]:
    return shop.admin.execute(
        "SELECT f.*, m.metadata AS message FROM follow_ups f"
        " LEFT JOIN messages m ON m.id = f.message_id"
        " WHERE f.business_id = %s AND f.customer_phone = %s ORDER BY f.sent_at",
        (shop.business_id, phone.customer_number),
    ).fetchall()


def age_follow_ups(shop: Shop, phone: WhatsAppSimulator, hours: float) -> None:
    shop.admin.execute(
        "UPDATE follow_ups SET sent_at = sent_at - make_interval(hours => %s)"
        " WHERE business_id = %s AND customer_phone = %s",
        (hours, shop.business_id, phone.customer_number),
    )


def nothing_more(phone: WhatsAppSimulator) -> None:
    run_follow_ups()
    time.sleep(TICKS)
    assert phone.wait_for_replies(count=1, timeout=1) == []


def reminded(phone: WhatsAppSimulator) -> dict[str, Any]:
    run_follow_ups()  # (or the stack's own tick, whichever comes first)
    [reminder] = phone.wait_for_replies(count=1)
    return reminder


def test_a_cart_left_quiet_for_an_hour_gets_one_reminder(stack, shop):
    phone = customer_phone(stack, shop.number)
    leave_cart(shop, phone, quiet_minutes=30)
    nothing_more(phone)  # half an hour is not yet an hour

    quiet(shop, phone, 61)
    reminder = reminded(phone)

    assert reminder["body"].startswith("Hi! Your cart at Test Boutique is still waiting for you.")
    assert "- 1 x Red Bodycon Dress (size M) - KES 1,800" in reminder["body"]
    assert [c.title for c in phone.choices(reminder)] == ["Pay with M-Pesa", "Edit cart"]
    nothing_more(phone)
    [follow_up] = sent_follow_ups(shop, phone)
    assert (follow_up["kind"], follow_up["seq"]) == ("cart", 1)
    assert follow_up["message"]["proactive"] is True
    assert "template" not in follow_up["message"]  # never asked: no offer outside the window
    touch = shop.admin.execute(
        "SELECT kind, ref FROM sales_touches WHERE business_id = %s AND customer_phone = %s",
        (shop.business_id, phone.customer_number),
    ).fetchall()
    assert touch == [{"kind": "follow_up", "ref": str(follow_up["id"])}]

    shown = tap(phone, [reminder], "Edit cart")
    assert "- 1 x Red Bodycon Dress (size M) - KES 1,800" in shown


def test_two_job_runs_at_once_send_one_reminder(stack, shop):
    phone = customer_phone(stack, shop.number)
    leave_cart(shop, phone, quiet_minutes=61)

    runs = [threading.Thread(target=run_follow_ups) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()

    assert len(phone.wait_for_replies(count=1)) == 1
    nothing_more(phone)
    assert len(sent_follow_ups(shop, phone)) == 1


def test_a_second_follow_up_only_after_20_hours_and_never_a_third(stack, shop):
    phone = customer_phone(stack, shop.number)
    leave_cart(shop, phone, quiet_minutes=61)
    reminded(phone)

    chat(phone, "hi")  # she came back, and went quiet again
    quiet(shop, phone, 61)
    nothing_more(phone)  # the first was under 20 hours ago
    age_follow_ups(shop, phone, 21)
    second = reminded(phone)
    assert "still waiting for you" in second["body"]

    chat(phone, "hi")
    quiet(shop, phone, 61)
    age_follow_ups(shop, phone, 21)
    nothing_more(phone)
    assert [(f["kind"], f["seq"]) for f in sent_follow_ups(shop, phone)] == [
        ("cart", 1),
        ("cart", 2),
    ]


@pytest.mark.parametrize("why", ["stop", "takeover", "switched_off"])
def test_no_reminder_after_stop_during_a_takeover_or_when_switched_off(stack, shop, why):
    phone = customer_phone(stack, shop.number)
    leave_cart(shop, phone, quiet_minutes=1)
    if why == "stop":
        chat(phone, "STOP")
    elif why == "takeover":
        shop.admin.execute(
            "UPDATE conversations SET status = 'handed_over' WHERE business_id = %s"
            " AND customer_phone = %s",
            (shop.business_id, phone.customer_number),
        )
    else:
        off = {"follow_ups": {"cart": {"on": False, "delay_minutes": 60}}}
        shop.admin.execute(
            "UPDATE businesses SET settings = settings || %s WHERE id = %s",
            (Jsonb(off), shop.business_id),
        )
    quiet(shop, phone, 120)

    nothing_more(phone)
    assert sent_follow_ups(shop, phone) == []


def test_outside_the_window_only_an_opted_in_customer_gets_the_template(stack, shop):
    asked = customer_phone(stack, shop.number)
    never_asked = customer_phone(stack, shop.number)
    for phone in (asked, never_asked):
        leave_cart(shop, phone, quiet_minutes=1)
    shop.admin.execute(
        "INSERT INTO consent_events (business_id, customer_phone, kind, source)"
        " VALUES (%s, %s, 'opt_in', 'dashboard')",
        (shop.business_id, asked.customer_number),
    )
    for phone in (asked, never_asked):
        last_wrote(shop, phone.customer_number, 30)

    template = reminded(asked)

    variables = {"1": "Test Boutique", "2": "1 x Red Bodycon Dress (size M)", "3": "KES 1,800"}
    assert template["content_variables"] == variables
    assert template["body"] == TEMPLATES["follow_up_cart"].render("en", variables)
    assert TEMPLATES["follow_up_cart"].category == "MARKETING"
    nothing_more(never_asked)
    assert sent_follow_ups(shop, never_asked) == []


def test_a_cancelled_prompt_gets_one_offer_and_try_again_sends_a_new_prompt(stack, shop):
    from duka_local.sandbox_cli import answer_prompt, pending_prompt

    phone = customer_phone(stack, shop.number)
    chat(phone, "do you have the red bodycon dress?")
    assert "Added 1 x Red Bodycon Dress (size M)" in body(chat(phone, "I want it in size M"))
    chat(phone, "checkout")
    assert "M-Pesa prompt" in body(chat(phone, "Deliver to Kilimani, Argwings Kodhek Rd"))
    prompt = pending_prompt(stack, phone.customer_number)
    assert prompt is not None
    answer_prompt(stack, prompt["reference"], "cancel")
    assert phone.wait_for_replies(count=1, timeout=30)  # the cancelled notice
    order = shop.admin.execute(
        "SELECT id, status FROM orders WHERE business_id = %s AND customer_phone = %s",
        (shop.business_id, phone.customer_number),
    ).fetchone()
    assert order["status"] in ("failed", "cancelled")
    shop.admin.execute(
        "UPDATE orders SET updated_at = now() - interval '31 minutes' WHERE id = %s",
        (order["id"],),
    )
    quiet(shop, phone, 31)

    offer = reminded(phone)

    assert offer["body"].startswith("Hi! Your M-Pesa payment of KES ")
    assert "for 1 x Red Bodycon Dress (size M) at Test Boutique didn't go through" in offer["body"]
    assert [c.title for c in phone.choices(offer)] == ["Try again", "Other ways to pay"]
    [follow_up] = sent_follow_ups(shop, phone)
    assert (follow_up["kind"], str(follow_up["order_id"])) == ("prompt", str(order["id"]))

    retried = tap(phone, [offer], "Try again")

    assert "M-Pesa prompt" in retried
    assert pending_prompt(stack, phone.customer_number) is not None
    assert len(shop.pushes(str(order["id"]))) == 2
    quiet(shop, phone, 120)
    nothing_more(phone)  # one offer per prompt, and the new prompt is open


def test_the_owners_delay_decides_when_the_reminder_goes(stack, shop):
    later = {"follow_ups": {"cart": {"on": True, "delay_minutes": 120}}}
    shop.admin.execute(
        "UPDATE businesses SET settings = settings || %s WHERE id = %s",
        (Jsonb(later), shop.business_id),
    )
    phone = customer_phone(stack, shop.number)
    leave_cart(shop, phone, quiet_minutes=61)
    nothing_more(phone)  # an hour is not the owner's two

    quiet(shop, phone, 121)

    assert "still waiting for you" in reminded(phone)["body"]
