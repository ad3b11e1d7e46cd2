"""The owner confirms a payment by hand ("paid, code …") on an unpaid order's page: Pochi la
Biashara or a personal number, where no API reports the money.

Real stack: checkout as the application role -> PayLink sandbox (the prompt stays unanswered)
-> the dashboard (Flask test client, signed in for real) records the code -> the payments
ledger -> payment-events -> process_payment -> the customer's WhatsApp.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from duka.orders.checkout import CheckoutStatus
from tests.dashboard_helpers import OwnerClient, signed_in_owner
from tests.payments_support import Shop, as_app_role
from tests.test_flagged_orders import open_order

FORM = 'data-testid="owner-payment"'


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


@pytest.fixture()
def owner(stack, shop: Shop) -> Iterator[OwnerClient]:
    with signed_in_owner(stack, shop.admin, shop.business_id) as client:
        yield client


def confirm(owner: OwnerClient, order_id: str, code: str, amount: str) -> str:
    """One tap on "Paid, record this code"; the page the owner lands on."""
    response = owner.post(f"/dashboard/orders/{order_id}/payment", {"code": code, "amount": amount})
    assert response.status_code == 302
    return str(owner.get(response.location).text)


def ledger(shop: Shop, order_id: str) -> list[tuple[str, int, str]]:
    rows = shop.admin.execute(
        "SELECT receipt, amount, matched_by FROM payments WHERE order_id = %s ORDER BY created_at",
        (order_id,),
    ).fetchall()
    return [(r["receipt"], int(r["amount"]), r["matched_by"]) for r in rows]


def test_a_code_confirmed_by_the_owner_pays_the_order_and_tells_the_customer_once(
    shop, phone, owner
):
    on_the_shelf = shop.stock("T-D1")
    order_id = open_order(shop, phone)
    page = owner.get(f"/dashboard/orders/{order_id}").text
    assert FORM in page and 'value="2800"' in page  # prefilled with the balance

    landed = confirm(owner, order_id, " qft4abcde1 ", "2,800")
    again = confirm(owner, order_id, "QFT4ABCDE1", "2800")

    assert "Payment QFT4ABCDE1 recorded: the order is paid." in landed
    assert "already recorded for this order: it was not counted again" in again
    order = shop.order(order_id)
    assert (order["status"], order["transaction_id"]) == ("paid", "QFT4ABCDE1")
    assert ledger(shop, order_id) == [("QFT4ABCDE1", 2800, "owner")]
    assert shop.reservations(order_id) == ["committed"]
    assert shop.stock("T-D1") == on_the_shelf - 1
    [notice] = phone.wait_for_replies(count=1)
    assert "Payment received! Your order is confirmed." in notice["body"]
    assert phone.wait_for_replies(count=1, timeout=2) == []  # the second tap told nobody
    assert FORM not in again and "Mark shipped and tell the customer" in again


def test_a_code_already_in_the_ledger_is_refused_on_another_order(shop, phone, owner):
    first = open_order(shop, phone)
    confirm(owner, first, "QGH7KLMNP2", "2800")
    assert "Payment received!" in phone.wait_for_replies(count=1)[0]["body"]
    conversation_id = str(shop.order(first)["conversation_id"])
    result = shop.checkout(conversation_id, phone.customer_number, [("T-D1", 1, "M")])
    assert result.status is CheckoutStatus.STK_SENT
    second = str(result.order_id)

    page = confirm(owner, second, "QGH7KLMNP2", "2800")

    assert f"M-Pesa code QGH7KLMNP2 is already recorded for order ref {first[:8]}" in page
    assert "it was not counted again" in page
    assert shop.order(second)["status"] == "pending"
    assert ledger(shop, second) == []
    assert ledger(shop, first) == [("QGH7KLMNP2", 2800, "owner")]
    assert shop.reservations(second) == ["reserved"]
    assert phone.wait_for_replies(count=1, timeout=2) == []


def test_a_partial_payment_leaves_the_order_unpaid_with_the_balance_shown(shop, phone, owner):
    order_id = open_order(shop, phone)
    assert "An M-Pesa code is 10 letters and digits" in confirm(owner, order_id, "QX1", "2800")

    page = confirm(owner, order_id, "QJK2RSTUV3", "1000")

    assert "KES 1,000 of KES 2,800 received, KES 1,800 still due." in page
    assert "short KES 1,800" in page
    assert FORM in page and 'value="1800"' in page  # the next tap is prefilled with the rest
    assert shop.order(order_id)["status"] == "pending"
    assert shop.reservations(order_id) == ["reserved"]
    assert phone.wait_for_replies(count=1, timeout=2) == []

    paid = confirm(owner, order_id, "QJK2RSTUV4", "1800")

    assert "the order is paid" in paid
    assert shop.order(order_id)["status"] == "paid"
    assert [(r, a) for r, a, _ in ledger(shop, order_id)] == [
        ("QJK2RSTUV3", 1000),
        ("QJK2RSTUV4", 1800),
    ]
    [notice] = phone.wait_for_replies(count=1)
    assert "Payment received! Your order is confirmed." in notice["body"]


def test_the_owner_records_instalments_of_a_layaway_plan_until_it_is_paid(
    shop, phone, owner, admin_db
):
    from psycopg.types.json import Jsonb

    from tests.test_layaway import LAYAWAY, deposit_paid

    admin_db.execute(
        "UPDATE businesses SET settings = settings || %s WHERE id = %s",
        (Jsonb({"layaway": LAYAWAY}), shop.business_id),
    )
    order_id = deposit_paid(shop, phone)  # KES 840 by M-Pesa prompt, of 2,800
    assert FORM in owner.get(f"/dashboard/orders/{order_id}").text

    part = confirm(owner, order_id, "QPP1ABCDE2", "1000")
    [told] = phone.wait_for_replies(count=1)
    rest = confirm(owner, order_id, "QPP1ABCDE3", "960")

    assert "KES 1,840 of KES 2,800 received, KES 960 still due." in part
    assert "The customer is told the balance on WhatsApp." in part
    assert "Received KES 1,000 for your lipa pole pole order" in told["body"]
    assert "Balance: KES 960" in told["body"]
    assert "the order is paid" in rest
    assert shop.order(order_id)["status"] == "paid"
    assert [row[0] for row in ledger(shop, order_id)][1:] == ["QPP1ABCDE2", "QPP1ABCDE3"]
    [paid] = phone.wait_for_replies(count=1)
    assert "Payment received! Your order is confirmed." in paid["body"]
