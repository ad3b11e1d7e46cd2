"""Broadcasts on the real stack: the owner picks products and an audience of consented customers
on the dashboard, the `broadcasts` job sends each of them one card per product (inside the
24-hour window the card's words with the photo, outside it the `broadcast_product` template),
paced under the number's daily messaging limit, and the report shows what it did and brought.

The job runs in this process as the application role (RLS applies), alongside the stack's own
ticks (every 2 s), which must never send twice either. Customers are WhatsApp simulators on the
Twilio sandbox; faults are injected at the wire (`/_sandbox/fail_next`), as in the reliability
suite.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image
from psycopg.types.json import Jsonb

from duka.broadcasts.job import run_broadcasts
from duka.whatsapp_templates import TEMPLATES
from duka_local.simulator import WhatsAppSimulator
from tests.dashboard_helpers import OwnerClient, add_order, signed_in_owner
from tests.journeys import customer_phone
from tests.payments_support import Shop, as_app_role, paylink_success, wait_until

DRESS, SKIRT = "T-D1", "T-S1"  # Blue Floral Midi Dress KES 2,500; Kitenge Pencil Skirt KES 1,600
LIMIT = 250  # the first tier, the default


@dataclass
class Customer:
    phone: WhatsAppSimulator
    conversation: str

    @property
    def number(self) -> str:
        return self.phone.customer_number


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


@pytest.fixture()
def owner(stack, shop: Shop) -> Iterator[OwnerClient]:
    with signed_in_owner(stack, shop.admin, shop.business_id) as client:
        yield client


def customer(
    shop: Shop, *consent: str, language: str | None = None, wrote_hours_ago: float = 1
) -> Customer:
    """A customer with a chat, her consent events in order (e.g. "opt_in", "opt_out"), who last
    wrote `wrote_hours_ago` (WhatsApp's side too: the sandbox judges the window)."""
    phone = customer_phone(shop.env, shop.number)
    conversation = shop.conversation(phone.customer_number, language=language)
    for kind in consent:
        shop.admin.execute(
            "INSERT INTO consent_events (business_id, customer_phone, kind, source)"
            " VALUES (%s, %s, %s, 'import')",
            (shop.business_id, phone.customer_number, kind),
        )
    httpx.post(
        shop.env["TWILIO_API_BASE_URL"] + "/_sandbox/inbound",
        json={
            "from": phone.customer_number,
            "to": shop.number,
            "at": time.time() - wrote_hours_ago * 3600,
        },
    ).raise_for_status()
    shop.admin.execute(
        "UPDATE conversations SET last_customer_message_at = now() - make_interval(secs => %s)"
        " WHERE id = %s",
        (wrote_hours_ago * 3600, conversation),
    )
    return Customer(phone, conversation)


def bought(shop: Shop, who: Customer, sku: str, size: str, days_ago: int) -> None:
    product = shop.product(sku)
    order = add_order(
        shop.admin,
        shop.business_id,
        who.conversation,
        lines=[(str(product["id"]), product["name"], size, 1, int(product["price"]))],
    )
    shop.admin.execute(
        "UPDATE orders SET paid_at = now() - make_interval(days => %s),"
        " created_at = now() - make_interval(days => %s) WHERE id = %s",
        (days_ago, days_ago, order),
    )


def public_photo(shop: Shop, sku: str) -> str:
    """The product's photo at a public address (the sandbox's media host)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 80, 200)).save(buffer, "PNG")
    response = httpx.post(
        shop.env["TWILIO_API_BASE_URL"] + "/_sandbox/media",
        content=buffer.getvalue(),
        headers={"Content-Type": "image/png"},
    )
    url = str(response.json()["url"])
    shop.admin.execute(
        "UPDATE products SET images = %s WHERE business_id = %s AND sku = %s",
        ([url], shop.business_id, sku),
    )
    return url


def already_reached(shop: Shop, customers: int) -> None:
    """The number already started conversations with this many other customers today."""
    shop.admin.execute(
        "WITH c AS (INSERT INTO conversations (business_id, customer_phone)"
        "  SELECT %s, '+2549' || lpad(g::text, 8, '0') FROM generate_series(1, %s) g"
        "  RETURNING id)"
        " INSERT INTO messages (business_id, conversation_id, role, content, delivery_status,"
        " metadata) SELECT %s, id, 'agent', 'an earlier offer', 'sent', %s FROM c",
        (shop.business_id, customers, shop.business_id, Jsonb({"proactive": True})),
    )


def a_day_passes(shop: Shop) -> None:
    shop.admin.execute(
        "UPDATE messages SET created_at = created_at - interval '25 hours' WHERE business_id = %s",
        (shop.business_id,),
    )


def send(owner: OwnerClient, shop: Shop, *skus: str, **filters: str) -> str:
    """The owner sends a broadcast from the dashboard; its id."""
    products = [str(shop.product(sku)["id"]) for sku in skus]
    response = owner.post(
        "/dashboard/broadcasts", {"title": "New arrivals", "product": products, **filters}
    )
    assert response.status_code == 302, response.text
    return str(response.headers["Location"]).rstrip("/").rsplit("/", 1)[-1]


def figures(owner: OwnerClient, broadcast_id: str) -> dict[str, str]:
    """The report's figures as the owner reads them."""
    page = owner.get(f"/dashboard/broadcasts/{broadcast_id}").text
    return dict(re.findall(r'<div class="label">(\w+)</div><div class="value">(\d+)</div>', page))


def status(shop: Shop, broadcast_id: str) -> str:
    row = shop.admin.execute("SELECT status FROM broadcasts WHERE id = %s", (broadcast_id,))
    return str(row.fetchone()["status"])


def audience_on_page(owner: OwnerClient, **filters: str) -> int:
    page = owner.get("/dashboard/broadcasts/new", query_string=filters).text
    match = re.search(r'<span class="audience-count">(\d+)</span>', page)
    assert match, page
    return int(match.group(1))


def test_the_audience_is_the_consented_customers_the_filters_keep(shop, owner):
    recent_dress = customer(shop, "opt_in")
    bought(shop, recent_dress, DRESS, "M", days_ago=10)
    old_skirt = customer(shop, "opt_in")
    bought(shop, old_skirt, SKIRT, "S", days_ago=100)
    customer(shop, "opt_in")  # never bought
    stopped = customer(shop, "opt_in", "opt_out")  # said STOP since
    bought(shop, stopped, DRESS, "M", days_ago=5)
    never_asked = customer(shop)
    bought(shop, never_asked, DRESS, "M", days_ago=5)

    assert audience_on_page(owner) == 3
    assert audience_on_page(owner, category="dress") == 1
    assert audience_on_page(owner, days="30") == 1
    assert audience_on_page(owner, size="s") == 1
    assert audience_on_page(owner, category="skirt", days="30") == 0
    refused = owner.post(
        "/dashboard/broadcasts",
        {"title": "Skirts", "product": [str(shop.product(SKIRT)["id"])], "category": "blouse"},
    )
    assert refused.status_code == 422
    assert "No customer who agreed to offers matches these filters." in refused.text


def test_each_consented_customer_gets_one_card_per_product_and_the_report_counts_what_it_brought(
    shop, owner
):
    photo = public_photo(shop, DRESS)
    inside = customer(shop, "opt_in")
    outside = customer(shop, "opt_in", language="sw", wrote_hours_ago=48)
    customer(shop)  # no consent: nothing

    preview = owner.get(
        "/dashboard/broadcasts/new", query_string={"product": [str(shop.product(DRESS)["id"])]}
    ).text
    assert "New at Test Boutique: Blue Floral Midi Dress, now KES 2,500." in preview
    assert "Shop now" in preview and "Send to 2 customers" in preview
    broadcast_id = send(owner, shop, DRESS, SKIRT)
    run_broadcasts()  # (or the stack's own tick, whichever comes first)

    dress, skirt = inside.phone.wait_for_replies(count=2)
    assert dress["body"] == (
        "New at Test Boutique: Blue Floral Midi Dress, now KES 2,500. "
        "Reply to this message to order it."
    )
    assert dress["media_url"] == [photo]
    assert skirt["body"].startswith("New at Test Boutique: Kitenge Pencil Skirt, now KES 1,600.")
    card, skirt_card = outside.phone.wait_for_replies(count=2)
    variables = {"1": "Test Boutique", "2": "Blue Floral Midi Dress", "3": "KES 2,500", "4": photo}
    assert card["content_variables"] == variables
    assert card["body"] == TEMPLATES["broadcast_product"].render("sw", variables)
    assert card["media_url"] == [photo]
    assert [o["title"] for o in card["options"]] == ["Nunua sasa"]
    assert skirt_card["content_variables"]["2"] == "Kitenge Pencil Skirt"
    assert "4" not in skirt_card["content_variables"]  # no public photo: the card has none
    wait_until(lambda: status(shop, broadcast_id) == "done")
    run_broadcasts()
    time.sleep(4.5)  # two more of the stack's ticks
    assert inside.phone.wait_for_replies(count=1, timeout=1) == []
    assert outside.phone.wait_for_replies(count=1, timeout=1) == []

    outside.phone.read_replies()
    tapped = outside.phone.form("Nunua sasa")  # the card's button, as Twilio posts a tap
    tapped.update(
        MessageType="button",
        ButtonPayload="browse",
        ButtonText="Nunua sasa",
        OriginalRepliedMessageSid=str(card["sid"]),
    )
    outside.phone.post(tapped).raise_for_status()
    assert "Blue Floral Midi Dress" in "\n".join(r["body"] for r in outside.phone.wait_for_answer())
    inside.phone.send("Is the dress available in M?")
    inside.phone.wait_for_answer()
    order = shop.checkout(inside.conversation, inside.number, [(DRESS, 1, "M")])
    [push] = shop.pushes(str(order.order_id))
    assert shop.post_paylink_callback(paylink_success(push)).status_code == 200
    paid = shop.order(str(order.order_id))
    assert (paid["status"], paid["source"], paid["source_ref"]) == (
        "paid",
        "broadcast",
        broadcast_id,
    )

    expected = {
        "Sent": "2",
        "Delivered": "2",
        "Read": "1",
        "Failed": "0",
        "Replies": "2",
        "Orders": "1",
    }
    wait_until(lambda: figures(owner, broadcast_id) == expected)
    assert figures(owner, broadcast_id) == expected
    page = owner.get(f"/dashboard/broadcasts/{broadcast_id}").text
    assert f"KES {paid['amount']:,.0f} paid within 72 hours" in page


def test_sends_stay_under_the_daily_limit_and_the_rest_wait_for_the_next_day(shop, owner):
    already_reached(shop, LIMIT - 2)
    waiting = [customer(shop, "opt_in") for _ in range(4)]

    broadcast_id = send(owner, shop, SKIRT)
    run_broadcasts()
    run_broadcasts()
    time.sleep(2.5)  # and a stack tick

    reached = [c for c in waiting if c.phone.replies()]
    assert len(reached) == 2
    assert figures(owner, broadcast_id)["Sent"] == "2"
    page = owner.get(f"/dashboard/broadcasts/{broadcast_id}").text
    assert "2 waiting for the daily limit" in page
    assert (
        "Last 24 hours: <strong>250</strong> of 250 customers."
        in owner.get("/dashboard/broadcasts").text
    )

    a_day_passes(shop)
    run_broadcasts()

    assert all(len(c.phone.replies()) == 1 for c in waiting)
    assert status(shop, broadcast_id) == "done"


def test_the_owner_raises_the_limit_on_the_broadcasts_page(shop, owner):
    response = owner.post("/dashboard/broadcasts/limit", {"daily_limit": "1000"})
    assert response.status_code == 302
    assert shop.settings()["messaging"] == {"daily_limit": 1000}
    assert owner.post("/dashboard/broadcasts/limit", {"daily_limit": "5000"}).status_code == 302
    assert shop.settings()["messaging"] == {"daily_limit": 1000}  # not one of WhatsApp's tiers


def test_a_customer_who_says_stop_in_the_middle_of_a_broadcast_gets_nothing_more(shop, owner):
    already_reached(shop, LIMIT - 1)
    both = [customer(shop, "opt_in"), customer(shop, "opt_in")]
    broadcast_id = send(owner, shop, DRESS)
    run_broadcasts()
    wait_until(lambda: any(c.phone.replies() for c in both))
    [first] = [c for c in both if c.phone.replies()]  # room for one: the limit is reached
    [second] = [c for c in both if c is not first]

    second.phone.send("STOP")
    [confirmation] = second.phone.wait_for_answer()
    assert confirmation["body"].startswith("Done: Test Boutique won't send you order updates")
    a_day_passes(shop)
    run_broadcasts()
    time.sleep(2.5)  # and a stack tick

    assert second.phone.wait_for_replies(count=1, timeout=1) == []
    assert status(shop, broadcast_id) == "done"
    page = owner.get(f"/dashboard/broadcasts/{broadcast_id}").text
    assert "1 not sent: opted out, stopped or sold out" in page
    assert figures(owner, broadcast_id)["Sent"] == "1"


def test_a_crash_between_claim_and_send_resumes_without_sending_twice(shop, owner):
    twilio = shop.env["TWILIO_API_BASE_URL"]
    took_it = customer(shop, "opt_in")  # Twilio takes her card, then the sender dies
    down = customer(shop, "opt_in")  # Twilio is down for her card: claimed, not sent
    for number, accept in ((took_it.number, True), (down.number, False)):
        httpx.post(
            twilio + "/_sandbox/fail_next",
            json={"status": 500, "code": 20500, "to": number, "accept": accept},
        ).raise_for_status()

    send(owner, shop, DRESS)
    runs = [threading.Thread(target=run_broadcasts) for _ in range(2)]  # a redelivered tick
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    run_broadcasts()
    time.sleep(2.5)  # and a stack tick

    for who in (took_it, down):
        attempts = httpx.get(twilio + "/_sandbox/attempts", params={"to": who.number}).json()
        assert 500 in [a["status"] for a in attempts["attempts"]]  # the fault happened
        assert len(who.phone.replies()) == 1  # and she has her card once
    delivered = shop.admin.execute(
        "SELECT count(*) AS n FROM messages WHERE business_id = %s AND delivery_status = 'sent'"
        " AND metadata->>'kind' = 'broadcast'",
        (shop.business_id,),
    ).fetchone()
    assert delivered["n"] == 2


def test_the_owner_stops_a_broadcast_and_no_one_still_waiting_gets_it(shop, owner):
    already_reached(shop, LIMIT - 1)
    three = [customer(shop, "opt_in") for _ in range(3)]
    broadcast_id = send(owner, shop, DRESS)
    run_broadcasts()
    wait_until(lambda: any(c.phone.replies() for c in three))

    stopped = owner.post(f"/dashboard/broadcasts/{broadcast_id}/cancel")
    assert stopped.status_code == 302
    a_day_passes(shop)
    run_broadcasts()
    time.sleep(2.5)  # and a stack tick

    assert sorted(len(c.phone.replies()) for c in three) == [0, 0, 1]
    row = shop.admin.execute(
        "SELECT status, finished_at FROM broadcasts WHERE id = %s", (broadcast_id,)
    ).fetchone()
    assert row["status"] == "cancelled" and row["finished_at"] is not None
    assert "Stop sending" not in owner.get(f"/dashboard/broadcasts/{broadcast_id}").text
