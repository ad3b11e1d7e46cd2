"""The reconciler on the real stack: lost callbacks are recovered, unpaid orders expire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from duka.orders.checkout import CheckoutStatus
from duka.orders.reconcile import ReconcileSettings, reconcile_payments
from tests.payments_support import Shop, as_app_role

ASK_NOW = ReconcileSettings(query_after_s=0)


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def open_order(shop: Shop, phone: Any) -> str:
    conversation_id = shop.conversation(phone.customer_number, cart_skus=("T-S1",))
    result = shop.checkout(conversation_id, phone.customer_number, [("T-S1", 2, "M")])
    assert result.status is CheckoutStatus.STK_SENT
    return str(result.order_id)


def make_overdue(shop: Shop, order_id: str) -> None:
    shop.admin.execute(
        "UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = %s", (order_id,)
    )


@pytest.mark.parametrize("gateway", ["paylink", "daraja"])
def test_lost_callback_is_recovered_by_the_reconciler(shop, phone, gateway):
    shop.use_gateway(gateway)
    order_id = open_order(shop, phone)
    shop.customer_answers(order_id, "approve", gateway=gateway, lose_callback=True)
    assert shop.order(order_id)["status"] == "pending"

    reconcile_payments(ASK_NOW)
    reconcile_payments(ASK_NOW)

    assert shop.order(order_id)["status"] == "paid"
    assert shop.reservations(order_id) == ["committed"]
    replies = phone.wait_for_replies(count=1, settle=1.0)
    assert len(replies) == 1
    assert replies[0]["body"].startswith("✅ Payment received!")


def test_lost_failure_callback_is_recovered_and_the_stock_returns(shop, phone):
    order_id = open_order(shop, phone)
    shop.customer_answers(order_id, "decline", reason="insufficient_funds", lose_callback=True)

    reconcile_payments(ASK_NOW)

    order = shop.order(order_id)
    assert (order["status"], order["failure_reason"]) == ("failed", "insufficient_funds")
    assert shop.stock("T-S1") == 4
    [reply] = phone.wait_for_replies(count=1)
    assert "balance was not enough" in reply["body"]


def test_unpaid_order_expires_its_stock_returns_and_the_customer_is_told(shop, phone):
    order_id = open_order(shop, phone)
    assert shop.stock("T-S1") == 2
    make_overdue(shop, order_id)

    reconcile_payments(ASK_NOW)

    order = shop.order(order_id)
    assert (order["status"], order["failure_reason"]) == ("expired", "expired")
    assert shop.stock("T-S1") == 4
    assert shop.reservations(order_id) == ["released"]
    [reply] = phone.wait_for_replies(count=1)
    assert reply["body"].startswith("⌛ Your order of KES 3,500 has expired")


def test_payment_arriving_after_expiry_is_flagged_for_the_owner(shop, phone):
    order_id = open_order(shop, phone)
    make_overdue(shop, order_id)
    reconcile_payments(ASK_NOW)
    phone.wait_for_replies(count=1)

    shop.customer_answers(order_id, "approve")

    order = shop.order(order_id)
    assert (order["status"], order["flagged"]) == ("expired", True)
    assert "closed" in order["flag_reason"]
    assert shop.stock("T-S1") == 4  # nothing is taken from the shelf twice
    [reply] = phone.wait_for_replies(count=1)
    assert "The boutique will check it" in reply["body"]
