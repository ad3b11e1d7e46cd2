"""An order placed to pay on delivery, on the owner's dashboard: its badge, the M-Pesa code form
as for any unpaid order, and "Received in cash", which records the balance in the ledger and
marks it paid. Cash is the owner's: staff get no button and a 403."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.dashboard_helpers import (
    OwnedBoutique,
    OwnerClient,
    add_conversation,
    add_order,
    add_product,
)
from tests.test_dashboard_staff import add_staff_row

CASH_FORM = 'data-testid="cash-payment"'


@pytest.fixture()
def owner(app: Flask, stack: dict[str, str], shop: OwnedBoutique) -> OwnerClient:
    return OwnerClient(app, stack, shop.owner)


@pytest.fixture()
def staff(app: Flask, stack: dict[str, str], admin_db: Any, shop: OwnedBoutique) -> OwnerClient:
    return OwnerClient(app, stack, add_staff_row(admin_db, shop))


def on_delivery_order(admin_db: Any, shop: OwnedBoutique) -> str:
    """A pending order the customer pays when it arrives (KES 1,500 + 300 delivery)."""
    chat = add_conversation(admin_db, shop.id)
    order = add_order(
        admin_db,
        shop.id,
        chat,
        lines=[(None, "Ankara Top", "S", 1, 1500)],
        status="pending",
        delivery_fee=300,
    )
    admin_db.execute(
        "UPDATE orders SET pay_on_delivery = true, expires_at = NULL, mpesa_reference = NULL,"
        " checkout_request_id = NULL WHERE id = %s",
        (order,),
    )
    return order


def test_the_owner_records_cash_the_rider_collected_and_the_order_is_paid(owner, shop, admin_db):
    order = on_delivery_order(admin_db, shop)
    listed = owner.get("/dashboard/orders").text
    page = owner.get(f"/dashboard/orders/{order}").text
    assert "Pay on delivery" in listed and "Pay on delivery" in page
    assert 'data-testid="owner-payment"' in page  # an M-Pesa code works as for any order
    assert CASH_FORM in page and "Received in cash (KES 1,800)" in page

    response = owner.post(f"/dashboard/orders/{order}/cash")
    landed = owner.get(response.location).text
    again = owner.post(f"/dashboard/orders/{order}/cash")

    assert response.status_code == 302
    assert "Cash of KES 1,800 recorded: the order is paid." in landed
    assert CASH_FORM not in landed
    row = admin_db.execute("SELECT status, paid_at FROM orders WHERE id = %s", (order,)).fetchone()
    assert row["status"] == "paid" and row["paid_at"] is not None
    payments = admin_db.execute(
        "SELECT gateway, amount, matched_by FROM payments WHERE order_id = %s", (order,)
    ).fetchall()
    assert [(p["gateway"], int(p["amount"]), p["matched_by"]) for p in payments] == [
        ("cash", 1800, "owner")
    ]
    assert "Already paid: nothing recorded again." in owner.get(again.location).text
    audit = admin_db.execute(
        "SELECT actor_phone, details FROM audit_log WHERE business_id = %s"
        " AND action = 'order.cash_recorded'",
        (shop.id,),
    ).fetchall()
    assert len(audit) == 1 and audit[0]["actor_phone"] == shop.owner
    assert audit[0]["details"]["amount"] == "1800.00"


def test_an_m_pesa_code_the_rider_was_paid_with_pays_it_too(owner, shop, admin_db):
    order = on_delivery_order(admin_db, shop)

    response = owner.post(
        f"/dashboard/orders/{order}/payment", {"code": "QFT4ABCDE9", "amount": "1,800"}
    )

    assert "Payment QFT4ABCDE9 recorded: the order is paid." in owner.get(response.location).text
    row = admin_db.execute("SELECT status FROM orders WHERE id = %s", (order,)).fetchone()
    assert row["status"] == "paid"


def test_cash_is_only_for_orders_paid_on_delivery(owner, shop, admin_db):
    chat = add_conversation(admin_db, shop.id)
    order = add_order(
        admin_db, shop.id, chat, lines=[(None, "Ankara Top", "S", 1, 1500)], status="pending"
    )

    assert CASH_FORM not in owner.get(f"/dashboard/orders/{order}").text
    refused = owner.post(f"/dashboard/orders/{order}/cash")

    assert "only for pay-on-delivery orders" in owner.get(refused.location).text
    status = admin_db.execute("SELECT status FROM orders WHERE id = %s", (order,)).fetchone()
    assert status["status"] == "pending"


def test_an_order_not_paid_at_the_door_is_cancelled_and_its_stock_goes_back(owner, shop, admin_db):
    order = on_delivery_order(admin_db, shop)
    product = add_product(admin_db, shop.id, sku="AT-1", name="Ankara Top", stock=4)
    admin_db.execute(
        "INSERT INTO stock_reservations (business_id, order_id, attempt, product_id, quantity)"
        " VALUES (%s, %s, 1, %s, 1)",
        (shop.id, order, product),
    )
    assert 'data-testid="cancel-on-delivery"' in owner.get(f"/dashboard/orders/{order}").text

    response = owner.post(f"/dashboard/orders/{order}/cancel-on-delivery")

    assert "Order cancelled and its items put back" in owner.get(response.location).text
    row = admin_db.execute("SELECT status FROM orders WHERE id = %s", (order,)).fetchone()
    assert row["status"] == "cancelled"
    stock = admin_db.execute("SELECT stock FROM products WHERE id = %s", (product,)).fetchone()
    assert stock["stock"] == 5
    logged = admin_db.execute(
        "SELECT count(*) AS n FROM audit_log WHERE business_id = %s"
        " AND action = 'order.pod_cancelled'",
        (shop.id,),
    ).fetchone()
    assert logged["n"] == 1


def test_staff_see_the_badge_but_no_cash_button_and_cannot_record_cash(
    staff, owner, shop, admin_db
):
    order = on_delivery_order(admin_db, shop)

    page = staff.get(f"/dashboard/orders/{order}")
    refused = staff.post(f"/dashboard/orders/{order}/cash")
    not_cancelled = staff.post(f"/dashboard/orders/{order}/cancel-on-delivery")

    assert page.status_code == 200 and "Pay on delivery" in page.text
    assert CASH_FORM not in page.text and CASH_FORM in owner.get(f"/dashboard/orders/{order}").text
    assert refused.status_code == 403 and not_cancelled.status_code == 403
    assert 'data-testid="cancel-on-delivery"' not in page.text
    row = admin_db.execute("SELECT status FROM orders WHERE id = %s", (order,)).fetchone()
    assert row["status"] == "pending"
