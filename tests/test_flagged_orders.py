"""Flagged orders wait for the owner: "Accept payment" or "Cancel and release stock" on the
order page, each once, told to the customer on WhatsApp; meanwhile the customer can order again.

Real stack: checkout as the application role -> PayLink sandbox -> a callback with the wrong
amount flags the order -> the dashboard (Flask test client, signed in for real) decides ->
payment-events -> process_payment -> the customer's WhatsApp.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from duka.orders.checkout import CheckoutStatus
from tests.dashboard_helpers import (
    OwnerClient,
    create_owned_boutique,
    dashboard_app,
    signed_in_owner,
)
from tests.journeys import customer_phone, say
from tests.payments_support import Shop, as_app_role, paylink_success

ACCEPT = "Accept payment (mark paid)"
CANCEL = "Cancel and release stock"


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


@pytest.fixture()
def owner(stack, shop: Shop) -> Iterator[OwnerClient]:
    with signed_in_owner(stack, shop.admin, shop.business_id) as client:
        yield client


def open_order(shop: Shop, phone: Any) -> str:
    """The customer checks out one Blue Floral Midi Dress (M) for Westlands: KES 2,800."""
    conversation_id = shop.conversation(phone.customer_number, cart_skus=("T-D1",))
    result = shop.checkout(conversation_id, phone.customer_number, [("T-D1", 1, "M")])
    assert result.status is CheckoutStatus.STK_SENT
    return str(result.order_id)


def flagged_order(shop: Shop, phone: Any) -> str:
    """An order M-Pesa paid KES 280 for instead of KES 2,800; the customer heard so."""
    order_id = open_order(shop, phone)
    [push] = shop.pushes(order_id)
    assert shop.post_paylink_callback(paylink_success(push, amount=280)).status_code == 200
    assert shop.order(order_id)["flagged"] is True
    [notice] = phone.wait_for_replies(count=1)
    assert "payment of KES 280 for your order of KES 2,800" in notice["body"]
    return order_id


def decide(owner: OwnerClient, order_id: str, decision: str) -> Any:
    return owner.post(f"/dashboard/orders/{order_id}/flagged", {"decision": decision})


def test_cancel_releases_the_stock_and_tells_the_customer_once(shop, phone, owner):
    on_the_shelf = shop.stock("T-D1")
    order_id = flagged_order(shop, phone)
    page = owner.get(f"/dashboard/orders/{order_id}").text
    assert ACCEPT in page and CANCEL in page and "does not expire" in page

    response = decide(owner, order_id, "cancel")

    assert response.status_code == 302
    order = shop.order(order_id)
    assert (order["status"], order["flag_resolution"]) == ("cancelled", "cancelled")
    assert order["amount_received"] == 280
    assert shop.reservations(order_id) == ["released"]
    assert shop.stock("T-D1") == on_the_shelf
    [notice] = phone.wait_for_replies(count=1)
    assert "cancelled by the boutique and the items are back on the shelf" in notice["body"]
    assert "M-Pesa payment of KES 280" in notice["body"]

    again = decide(owner, order_id, "cancel")
    accept_after = decide(owner, order_id, "accept")

    assert again.status_code == accept_after.status_code == 302
    assert "Already done: nothing changed." in owner.get(again.location).text
    assert shop.order(order_id)["status"] == "cancelled"
    assert shop.reservations(order_id) == ["released"]
    assert shop.stock("T-D1") == on_the_shelf  # released once, not twice
    assert phone.wait_for_replies(count=1, timeout=2) == []
    page = owner.get(f"/dashboard/orders/{order_id}").text
    assert ACCEPT not in page and "Cancelled, stock released" in page


def test_accept_marks_it_paid_with_the_amount_received_and_sells_the_stock(shop, phone, owner):
    on_the_shelf = shop.stock("T-D1")
    order_id = flagged_order(shop, phone)

    response = decide(owner, order_id, "accept")
    again = decide(owner, order_id, "accept")

    assert response.status_code == again.status_code == 302
    order = shop.order(order_id)
    assert (order["status"], order["flag_resolution"]) == ("paid", "accepted")
    assert order["amount_received"] == 280 and order["paid_at"] is not None
    assert order["transaction_id"] == shop.attempts(order_id)[0]["transaction_id"]
    assert shop.reservations(order_id) == ["committed"]
    assert shop.stock("T-D1") == on_the_shelf - 1
    [notice] = phone.wait_for_replies(count=1)
    assert "Payment received! Your order is confirmed." in notice["body"]
    assert "Total paid: KES 280" in notice["body"]
    assert phone.wait_for_replies(count=1, timeout=2) == []  # the second click told nobody
    page = owner.get(f"/dashboard/orders/{order_id}").text
    assert CANCEL not in page and "Mark shipped and tell the customer" in page


def test_an_order_that_is_not_flagged_cannot_be_decided(shop, phone, owner):
    order_id = open_order(shop, phone)
    assert CANCEL not in owner.get(f"/dashboard/orders/{order_id}").text

    response = decide(owner, order_id, "cancel")

    assert response.status_code == 302
    assert "Only an order whose payment needs checking" in owner.get(response.location).text
    order = shop.order(order_id)
    assert (order["status"], order["flag_resolution"]) == ("pending", None)
    assert shop.reservations(order_id) == ["reserved"]


def test_another_boutiques_owner_gets_404_and_changes_nothing(stack, shop, phone):
    order_id = flagged_order(shop, phone)
    other = create_owned_boutique(shop.admin, name="Other Boutique")
    with dashboard_app(stack) as app:
        stranger = OwnerClient(app, stack, other.owner)

        assert stranger.get(f"/dashboard/orders/{order_id}").status_code == 404
        assert decide(stranger, order_id, "cancel").status_code == 404

    order = shop.order(order_id)
    assert (order["status"], order["flag_resolution"]) == ("pending", None)
    assert shop.reservations(order_id) == ["reserved"]


def test_a_customer_with_a_flagged_order_can_check_out_a_new_cart_in_chat(stack, shop):
    phone = customer_phone(stack, shop.number)
    say(phone, "red bodycon dress")
    say(phone, "I want #1 in size S")
    assert "Where should we deliver" in say(phone, "checkout")
    assert "I've sent an M-Pesa prompt" in say(phone, "Deliver to Westlands, Sarit Centre")
    [first] = shop.admin.execute(
        "SELECT id FROM orders WHERE business_id = %s AND customer_phone = %s",
        (shop.business_id, phone.customer_number),
    ).fetchall()
    [push] = shop.pushes(str(first["id"]))
    shop.post_paylink_callback(paylink_success(push, amount=1))
    assert "The boutique will check it" in phone.wait_for_replies(count=1)[0]["body"]

    reply = say(phone, "checkout")
    if "Where should we deliver" in reply:
        reply = say(phone, "Deliver to Westlands, Sarit Centre")

    assert "I've sent an M-Pesa prompt" in reply
    orders = shop.admin.execute(
        "SELECT id, status, flagged FROM orders WHERE business_id = %s AND customer_phone = %s"
        " ORDER BY created_at",
        (shop.business_id, phone.customer_number),
    ).fetchall()
    assert [(o["status"], o["flagged"]) for o in orders] == [("pending", True), ("pending", False)]
    assert len(shop.pushes(str(orders[1]["id"]))) == 1
    assert shop.reservations(str(first["id"])) == ["reserved"]  # held until the owner decides
