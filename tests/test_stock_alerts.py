"""Back-in-stock alerts on the real stack: customers subscribe in chat (a tap, or "ndio") to a
sold-out dress; when stock comes back (a catalogue import, the owner's dashboard edit, or a
released reservation that stays released) the `stock_alerts` job sends each subscriber one
message: inside the 24-hour window with a "Buy now" button, outside it as the `back_in_stock`
template. Two job runs at once send once; a customer who said STOP gets nothing; a piece that
was released and taken again before the job looked sends nothing. The owner's Products page
lists the waiting demand, and never another boutique's.

The job runs in this process as the application role (RLS applies), alongside the stack's own
scheduled ticks (every 2 s), which must not send twice either. Messages go through the Twilio
sandbox; the customers are WhatsApp simulators that tap buttons as Twilio reports them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from duka.catalog.importer import import_catalogue
from duka.orders import reservations
from duka.orders.stock_alert_job import run_stock_alerts
from duka.relay import sweep_undelivered_outbound
from duka.whatsapp import SendFailedTransient
from duka.whatsapp_templates import TEMPLATES
from duka_local.simulator import WhatsAppSimulator
from tests.dashboard_helpers import signed_in_owner
from tests.journeys import customer_phone
from tests.payments_support import Shop, as_app_role, wait_until

DRESS = "T-D2"  # Red Bodycon Dress, S and M, in the small catalogue


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    """The small catalogue's boutique with the red dress sold out."""
    with as_app_role(stack, monkeypatch):
        shop = Shop(boutique["id"], boutique["number"], admin_db, stack)
        shop.set_stock(DRESS, 0)
        yield shop


def chat(phone: WhatsAppSimulator, text: str) -> list[dict[str, Any]]:
    phone.send(text)
    replies = phone.wait_for_answer()
    assert replies, f"no reply to {text!r}"
    return replies


def body(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["body"] for r in replies)


def tap(phone: WhatsAppSimulator, replies: list[dict[str, Any]], title: str) -> str:
    """Tap the button or list row called `title` in a reply; the text of the answer."""
    reply = next(r for r in replies if any(c.title == title for c in phone.choices(r)))
    number = [c.title for c in phone.choices(reply)].index(title) + 1
    phone.tap(reply, number)
    return body(phone.wait_for_answer())


def subscribe_by_tap(phone: WhatsAppSimulator) -> None:
    sold = chat(phone, "do you have the red bodycon dress?")
    assert "Sorry, Red Bodycon Dress is sold out right now." in body(sold)
    done = tap(phone, sold, "Tell me when back")
    assert done == "Done! I'll message you as soon as Red Bodycon Dress is back in stock."


def subscribe_by_ndio(phone: WhatsAppSimulator) -> None:
    sold = body(chat(phone, "Mnauza red bodycon dress?"))
    assert "Nikutumie ujumbe Red Bodycon Dress ikirudi?" in sold
    assert body(chat(phone, "ndio")) == "Sawa! Nitakutumia ujumbe Red Bodycon Dress ikirudi dukani."


def open_alerts(shop: Shop) -> int:
    row = shop.admin.execute(
        "SELECT count(*) AS n FROM stock_alerts WHERE business_id = %s AND closed_at IS NULL",
        (shop.business_id,),
    ).fetchone()
    return int(row["n"])


def alert_messages(shop: Shop, customer: str) -> list[dict[str, Any]]:
    return shop.admin.execute(
        "SELECT m.content, m.delivery_status, m.metadata FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.business_id = %s AND c.customer_phone = %s AND m.metadata->>'kind' = %s",
        (shop.business_id, customer, "back_in_stock"),
    ).fetchall()


def last_wrote(shop: Shop, customer: str, hours_ago: float) -> None:
    """WhatsApp's side of the 24-hour window (the Twilio sandbox judges numbers it saw write)."""
    httpx.post(
        shop.env["TWILIO_API_BASE_URL"] + "/_sandbox/inbound",
        json={"from": customer, "to": shop.number, "at": time.time() - hours_ago * 3600},
    ).raise_for_status()
    shop.admin.execute(
        "UPDATE conversations SET last_customer_message_at = now() - make_interval(hours => %s)"
        " WHERE business_id = %s AND customer_phone = %s",
        (hours_ago, shop.business_id, customer),
    )


def restock_by_import(shop: Shop, folder: Path, stock: int) -> None:
    (folder / "restock.csv").write_text(
        "sku,name,description,price,stock,category,colors,sizes,images\n"
        f"{DRESS},Red Bodycon Dress,Knee-length stretch dress,1800,{stock},dress,red,S;M,\n"
    )
    import_catalogue(folder / "restock.csv", shop.number, wait=True, timeout=30)


def test_an_import_brings_the_dress_back_and_each_subscriber_is_told_once(stack, shop, tmp_path):
    inside = customer_phone(stack, shop.number)
    outside = customer_phone(stack, shop.number)
    subscribe_by_tap(inside)
    subscribe_by_ndio(outside)
    last_wrote(shop, outside.customer_number, 48)

    restock_by_import(shop, tmp_path, 3)
    run_stock_alerts()  # (or the stack's own tick, whichever comes first)

    [told] = inside.wait_for_replies(count=1)
    assert told["body"].startswith("Good news! Red Bodycon Dress is back in stock at Test")
    assert [c.title for c in inside.choices(told)] == ["Buy now"]
    [template] = outside.wait_for_replies(count=1)
    variables = {"1": "Red Bodycon Dress", "2": "Test Boutique"}
    assert template["content_variables"] == variables
    assert template["body"] == TEMPLATES["back_in_stock"].render("sw", variables)
    assert open_alerts(shop) == 0
    run_stock_alerts()
    time.sleep(4.5)  # two more of the stack's ticks
    assert inside.wait_for_replies(count=1, timeout=1) == []
    assert outside.wait_for_replies(count=1, timeout=1) == []
    for phone in (inside, outside):
        [message] = alert_messages(shop, phone.customer_number)
        assert message["delivery_status"] == "sent"

    bought = tap(inside, [told], "Buy now")  # any size was asked for: which one, then the cart

    assert bought.startswith("Which size would you like for Red Bodycon Dress?")
    added = chat(inside, "M")
    assert body(added).startswith("Added 1 x Red Bodycon Dress (size M) to your cart.")


def test_two_job_runs_at_once_send_one_alert(stack, shop):
    phone = customer_phone(stack, shop.number)
    subscribe_by_tap(phone)
    shop.set_stock(DRESS, 2)

    runs = [threading.Thread(target=run_stock_alerts) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()

    assert len(phone.wait_for_replies(count=1)) == 1
    time.sleep(4.5)
    assert phone.wait_for_replies(count=1, timeout=1) == []
    assert len(alert_messages(shop, phone.customer_number)) == 1


def test_an_alert_twilio_took_then_answered_500_for_is_recorded_by_the_sweep_not_resent(
    stack, shop
):
    phone = customer_phone(stack, shop.number)
    subscribe_by_tap(phone)
    httpx.post(
        shop.env["TWILIO_API_BASE_URL"] + "/_sandbox/fail_next",
        json={"status": 500, "code": 20500, "to": phone.customer_number, "accept": True},
    ).raise_for_status()
    shop.set_stock(DRESS, 2)

    with pytest.raises(SendFailedTransient):  # the job fails; Pub/Sub delivers its tick again
        run_stock_alerts()
    run_stock_alerts()  # the alert is claimed: this run has nothing to send
    sweep_undelivered_outbound(older_than_seconds=0)  # the sweep asks Twilio, then records it
    sweep_undelivered_outbound(older_than_seconds=0)

    assert len(phone.wait_for_replies(count=2, timeout=3)) == 1
    [message] = alert_messages(shop, phone.customer_number)
    assert message["delivery_status"] == "sent"


def test_a_customer_who_said_stop_gets_no_alert(stack, shop):
    phone = customer_phone(stack, shop.number)
    subscribe_by_tap(phone)
    chat(phone, "STOP")  # its confirmation

    shop.set_stock(DRESS, 2)
    run_stock_alerts()

    time.sleep(4.5)
    assert phone.wait_for_replies(count=1, timeout=1) == []
    assert alert_messages(shop, phone.customer_number) == []
    assert open_alerts(shop) == 0  # closed unsent: never sent later


def test_a_piece_released_and_taken_again_before_the_job_sends_nothing(stack, shop):
    shop.set_stock(DRESS, 1)
    buyer = shop.conversation("+254700000001")
    first = shop.checkout(buyer, "+254700000001", [(DRESS, 1, "M")])
    assert first.order_id is not None and shop.stock(DRESS) == 0
    phone = customer_phone(stack, shop.number)
    subscribe_by_tap(phone)
    dress = shop.product(DRESS)

    next_buyer = shop.conversation("+254700000002")
    with shop.admin.transaction():  # the expired order's piece goes straight to the next buyer
        shop.admin.execute("UPDATE orders SET status = 'expired' WHERE id = %s", (first.order_id,))
        reservations.release(shop.admin, first.order_id)
        second = shop.admin.execute(
            "INSERT INTO orders (business_id, conversation_id, customer_phone, amount, pay_phone,"
            " delivery_info) VALUES (%s, %s, %s, 1800, %s, '{}') RETURNING id",
            (shop.business_id, next_buyer, "+254700000002", "+254700000002"),
        ).fetchone()["id"]
        claim = reservations.Claim(str(dress["id"]), dress["name"], "M", 1)
        reservations.reserve(
            shop.admin,
            business_id=shop.business_id,
            order_id=str(second),
            attempt=1,
            claims=[claim],
        )
    run_stock_alerts()
    time.sleep(4.5)

    assert phone.wait_for_replies(count=1, timeout=1) == []
    assert open_alerts(shop) == 1
    reservations.release(shop.admin, str(second))  # released, and it stays released

    wait_until(lambda: alert_messages(shop, phone.customer_number), timeout=20)
    assert "back in stock" in phone.wait_for_replies(count=1)[0]["body"]


def edit_form(stock_s: str, stock_m: str) -> dict[str, Any]:
    """The dress's form as the owner saves it, with stock kept per size from now on."""
    return {
        "name": "Red Bodycon Dress",
        "description": "Knee-length stretch dress",
        "price": "1,800",
        "sku": DRESS,
        "category": "dress",
        "colors": "Red",
        "size": ["S", "M", ""],
        "size_stock": [stock_s, stock_m, ""],
        "material": "",
        "occasion": "",
        "shown_stock": "0",
        "shown_size_stock": [],
    }


def test_the_restock_list_shows_waiting_demand_and_a_dashboard_edit_sends_the_size_asked(
    stack, shop, admin_db
):
    for _ in range(2):
        subscribe_by_tap(customer_phone(stack, shop.number))
    small = customer_phone(stack, shop.number)
    offer = chat(small, "do you have the red bodycon dress in size S?")
    assert "Shall I message you when Red Bodycon Dress (size S) is back?" in body(offer)
    tap(small, offer, "Tell me when back")
    other = customer_phone(stack, boutique_number := _other_boutique(stack, admin_db))
    subscribe_by_tap(other)
    assert boutique_number != shop.number

    with signed_in_owner(stack, admin_db, shop.business_id) as owner:
        page = owner.get("/dashboard/products").text
        dress = shop.product(DRESS)
        response = owner.post(
            f"/dashboard/products/{dress['id']}",
            edit_form(stock_s="0", stock_m="3"),
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        wait_until(lambda: open_alerts(shop) == 1, timeout=20)  # the size S one still waits
        after = owner.get("/dashboard/products").text

    assert 'data-testid="restock-list"' in page
    rows = page.split('data-testid="restock-row"')[1:]
    assert len(rows) == 2  # this boutique's two sizes; the other boutique's ask is not here
    assert "Red Bodycon Dress" in rows[0] and ">Any<" in rows[0] and ">2<" in rows[0]
    assert ">S<" in rows[1] and ">1<" in rows[1]
    assert after.count('data-testid="restock-row"') == 1 and ">S<" in after
    assert small.wait_for_replies(count=1, timeout=3) == []


def _other_boutique(stack: dict[str, str], admin_db: Any) -> str:
    """A second boutique with the same sold-out dress; its WhatsApp number."""
    from duka.db.pool import transaction
    from duka.store.businesses import create_business
    from tests.conftest import random_kenyan_number

    number = random_kenyan_number()
    with transaction(stack["DATABASE_URL"]) as conn:
        business_id = create_business(
            conn, name="Other Boutique", whatsapp_number=number, phone=random_kenyan_number()
        )
    csv_path = Path(__file__).parent / "data" / "small_catalogue.csv"
    import_catalogue(csv_path, number, wait=True, timeout=30)
    admin_db.execute(
        "UPDATE products SET stock = 0 WHERE business_id = %s AND sku = %s", (business_id, DRESS)
    )
    return number
