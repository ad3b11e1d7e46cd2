"""Refund journeys end to end, offline, in English and Swahili: the customer buys and pays with
an M-Pesa prompt on a Daraja boutique, the owner refunds part of it from the order page, M-Pesa's
result lands, the customer is told in her language, and the stock moves only when the owner says
the goods came back (once).

Real stack: chat -> checkout -> the Daraja sandbox -> paid; the dashboard (Flask test client,
signed in for real) records the refund and its payment event -> payment-events ->
process_payment (which holds the payment secrets; the dashboard has none) sends the Reversal
request -> the sandbox posts M-Pesa's result to the callback function -> the refund is done ->
the customer's WhatsApp.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from duka.config import get_settings
from tests.dashboard_helpers import OwnerClient, signed_in_owner
from tests.journeys import create_demo_boutique, customer_phone, say
from tests.test_journeys import first_size, pay_with_pin
from tests.test_refunds import sync_templates

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


MANIFEST = Path(__file__).resolve().parents[1] / "functions" / "manifest.json"


def as_deployed_dashboard(settings_env: Callable[..., None]) -> None:
    """This process (the dashboard under test) without the payment secrets, as deployed: the
    manifest gives them only to functions that pay."""
    names = json.loads(MANIFEST.read_text())["payment_gateway_secrets"]
    assert "DARAJA_SECURITY_CREDENTIAL" in get_settings().gateway_environment()  # the stack's
    settings_env(**dict.fromkeys(names))
    assert "DARAJA_SECURITY_CREDENTIAL" not in get_settings().gateway_environment()


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, str]:
    sync_templates()
    return create_demo_boutique(settings={"payment": {"gateway": "daraja"}})


def bought_and_paid(stack: dict[str, str], phone: Any, words: dict[str, str]) -> str:
    found = say(phone, words["search"])
    say(phone, words["add"].format(size=first_size(found)))
    say(phone, words["checkout"])
    say(phone, words["address"])
    return pay_with_pin(stack, phone, "1234")


def the_order(admin_db: Any, business_id: str, customer: str) -> dict[str, Any]:
    order = admin_db.execute(
        "SELECT o.id, o.status, o.amount, i.product_id, i.size FROM orders o"
        " JOIN order_items i ON i.order_id = o.id"
        " WHERE o.business_id = %s AND o.customer_phone = %s",
        (business_id, customer),
    ).fetchone()
    assert order is not None and order["status"] == "paid"
    return dict(order)


def stock(admin_db: Any, order: dict[str, Any]) -> tuple[int, int | None]:
    """The product's pieces on the shelf, and those of the size bought (None: not tracked)."""
    row = admin_db.execute(
        "SELECT p.stock, s.stock AS size_stock FROM products p LEFT JOIN product_stock s"
        " ON s.product_id = p.id AND s.size = %s WHERE p.id = %s",
        (order["size"], order["product_id"]),
    ).fetchone()
    size = row["size_stock"]
    return int(row["stock"]), None if size is None else int(size)


def one_more(pieces: tuple[int, int | None]) -> tuple[int, int | None]:
    total, size = pieces
    return total + 1, None if size is None else size + 1


def refund_part(owner: OwnerClient, order_id: str, amount: int) -> str:
    """The owner types an amount and taps "Refund through M-Pesa"; the page she lands on."""
    response = owner.post(
        f"/dashboard/orders/{order_id}/refund",
        {"amount": str(amount), "reason": "wrong size", "method": "reversal"},
    )
    assert response.status_code == 302
    return str(owner.get(response.location).text)


def page_once_settled(owner: OwnerClient, order_id: str) -> str:
    """The order page once M-Pesa's result has landed (nothing pending any more)."""
    deadline = time.monotonic() + 20
    page = owner.get(f"/dashboard/orders/{order_id}").text
    while "<strong>pending" in page and time.monotonic() < deadline:
        time.sleep(0.2)
        page = owner.get(f"/dashboard/orders/{order_id}").text
    return str(page)


def goods_back(owner: OwnerClient, order_id: str) -> str:
    response = owner.post(f"/dashboard/orders/{order_id}/goods-back")
    assert response.status_code == 302
    return str(owner.get(response.location).text)


def test_an_owner_refunds_part_of_a_paid_order_and_the_customer_hears_it(
    stack, demo, admin_db, settings_env
):
    phone = customer_phone(stack, demo["number"])
    paid = bought_and_paid(stack, phone, ENGLISH)
    order = the_order(admin_db, demo["id"], phone.customer_number)
    order_id, total = str(order["id"]), int(order["amount"])
    as_deployed_dashboard(settings_env)  # process_payment sends the reversal
    on_the_shelf = stock(admin_db, order)

    with signed_in_owner(stack, admin_db, demo["id"]) as owner:
        before = owner.get(f"/dashboard/orders/{order_id}").text
        landed = refund_part(owner, order_id, 1000)
        [notice] = phone.wait_for_replies(count=1, timeout=30)
        settled = page_once_settled(owner, order_id)
        unchanged = stock(admin_db, order)
        returned = goods_back(owner, order_id)
        again = goods_back(owner, order_id)

    assert "Payment received" in paid
    assert 'data-testid="refund-form"' in before and f'value="{total}"' in before
    assert (
        "Refund of KES 1,000 sent to M-Pesa: the status below changes when M-Pesa answers."
        in landed
    )
    assert notice["body"] == (
        f"Refund from {demo_name(admin_db, demo['id'])}: we have sent you KES 1,000 back for "
        f"your order of KES {total:,}. Reply to this message if you have any questions."
    )
    assert "refunded KES 1,000" in settled and ">Done" in settled
    assert unchanged == on_the_shelf  # refunded, but the jacket is not back yet
    assert "1 piece(s) back on the shelf." in returned
    assert "already put back on the shelf" in again
    assert stock(admin_db, order) == one_more(on_the_shelf)
    assert phone.wait_for_replies(count=1, timeout=2) == []  # told once


def test_swahili_customer_outside_the_window_hears_of_her_part_refund_as_a_template(
    stack, demo, admin_db
):
    phone = customer_phone(stack, demo["number"])
    bought_and_paid(stack, phone, SWAHILI)
    order = the_order(admin_db, demo["id"], phone.customer_number)
    order_id, total = str(order["id"]), int(order["amount"])
    on_the_shelf = stock(admin_db, order)
    two_days_later(stack, admin_db, demo, phone.customer_number)

    with signed_in_owner(stack, admin_db, demo["id"]) as owner:
        landed = refund_part(owner, order_id, 500)
        [notice] = phone.wait_for_replies(count=1, timeout=30)
        settled = page_once_settled(owner, order_id)
        returned = goods_back(owner, order_id)

    assert "Refund of KES 500 sent to M-Pesa" in landed
    assert notice["body"] == (
        f"Marejesho kutoka {demo_name(admin_db, demo['id'])}: tumekurudishia KES 500 kwa oda "
        f"yako ya KES {total:,}. Jibu ujumbe huu kama una swali lolote."
    )
    assert notice.get("content_sid"), "outside the window only the template may go"
    assert "refunded KES 500" in settled
    assert "1 piece(s) back on the shelf." in returned
    assert stock(admin_db, order) == one_more(on_the_shelf)


def two_days_later(
    stack: dict[str, str], admin_db: Any, demo: dict[str, str], customer: str
) -> None:
    """The customer last wrote two days ago: WhatsApp takes only templates now."""
    admin_db.execute(
        "UPDATE conversations SET last_customer_message_at = now() - interval '48 hours'"
        " WHERE business_id = %s AND customer_phone = %s",
        (demo["id"], customer),
    )
    httpx.post(
        stack["TWILIO_API_BASE_URL"] + "/_sandbox/inbound",
        json={"from": customer, "to": demo["number"], "at": time.time() - 48 * 3600},
    ).raise_for_status()


def demo_name(admin_db: Any, business_id: str) -> str:
    row = admin_db.execute("SELECT name FROM businesses WHERE id = %s", (business_id,)).fetchone()
    return str(row["name"])
