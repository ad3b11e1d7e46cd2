"""Order rules: allowed status transitions, fulfilment after payment, delivery fees, and the
M-Pesa prompt as the chat simulator shows it."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from duka.orders.checkout import CheckoutStatus
from duka.orders.delivery import delivery_fee
from duka.orders.transitions import InvalidTransition, cancel_order
from tests.payments_support import Shop, as_app_role


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def open_order(shop: Shop, phone: Any) -> str:
    conversation_id = shop.conversation(phone.customer_number)
    result = shop.checkout(conversation_id, phone.customer_number, [("T-D2", 1, "S")])
    assert result.status is CheckoutStatus.STK_SENT
    return str(result.order_id)


def set_column(
    stack: dict[str, str], business_id: str, order_id: str, column: str, value: str
) -> None:
    """A hand-written update as the application role, as a buggy caller might send it."""
    with psycopg.connect(stack["APP_DATABASE_URL"]) as conn:
        conn.execute("SELECT set_config('app.business_id', %s, true)", (business_id,))
        conn.execute(
            sql.SQL("UPDATE orders SET {} = %s WHERE id = %s").format(sql.Identifier(column)),
            (value, order_id),
        )


def test_paid_order_cannot_move_back_or_fail(shop, phone, stack):
    order_id = open_order(shop, phone)
    shop.customer_answers(order_id, "approve")

    for status in ("pending", "failed", "expired", "cancelled"):
        with pytest.raises(psycopg.errors.CheckViolation):
            set_column(stack, shop.business_id, order_id, "status", status)

    assert shop.order(order_id)["status"] == "paid"


def test_failed_order_reopens_only_as_a_new_attempt(shop, phone, stack):
    order_id = open_order(shop, phone)
    shop.customer_answers(order_id, "cancel")

    with pytest.raises(psycopg.errors.CheckViolation):
        set_column(stack, shop.business_id, order_id, "status", "pending")  # same attempt: refused
    with pytest.raises(psycopg.errors.CheckViolation):
        set_column(stack, shop.business_id, order_id, "status", "paid")


def test_fulfilment_happens_only_after_payment_and_in_order(shop, phone, stack):
    order_id = open_order(shop, phone)

    with pytest.raises(psycopg.errors.CheckViolation):
        set_column(stack, shop.business_id, order_id, "fulfillment_status", "shipped")
    shop.customer_answers(order_id, "approve")
    with pytest.raises(psycopg.errors.CheckViolation):
        set_column(stack, shop.business_id, order_id, "fulfillment_status", "delivered")
    set_column(stack, shop.business_id, order_id, "fulfillment_status", "shipped")
    set_column(stack, shop.business_id, order_id, "fulfillment_status", "delivered")
    with pytest.raises(psycopg.errors.CheckViolation):
        set_column(stack, shop.business_id, order_id, "fulfillment_status", "shipped")

    order = shop.order(order_id)
    assert (order["status"], order["fulfillment_status"]) == ("paid", "delivered")


def test_cancelling_an_open_order_returns_its_stock_and_a_paid_one_cannot_be(shop, phone):
    order_id = open_order(shop, phone)
    assert shop.stock("T-D2") == 2

    cancel_order(shop.business_id, order_id)

    assert shop.order(order_id)["status"] == "cancelled"
    assert shop.stock("T-D2") == 3
    with pytest.raises(InvalidTransition):
        cancel_order(shop.business_id, order_id)


def test_delivery_fee_follows_the_area_with_business_overrides():
    settings = {"delivery": {"fees": {"cbd": 100, "coast": 700}, "areas": {"Mombasa": "coast"}}}

    assert delivery_fee({}, "CBD") == 150
    assert delivery_fee({}, "Westlands") == 300
    assert delivery_fee({}, "Kisumu") == 500
    assert delivery_fee({}, "pickup") == 0
    assert delivery_fee({}, None) is None  # no place named: nothing is charged by default
    assert delivery_fee({}, "Narnia") is None  # a place no zone covers: the owner sets it
    assert delivery_fee(settings, "cbd") == 100
    assert delivery_fee(settings, "Mombasa") == 700
    assert delivery_fee(settings, "Kilimani") == 300


def test_chat_shows_the_prompt_and_the_right_pin_pays(shop, phone):
    from duka_local.sandbox_cli import answer_prompt, pending_prompt

    order_id = open_order(shop, phone)
    prompt = pending_prompt(shop.env, phone.customer_number)

    assert prompt is not None
    assert "KES 2,100" in prompt["text"]
    assert answer_prompt(shop.env, prompt["reference"], "0000") == "decline"
    assert shop.order(order_id)["failure_reason"] == "wrong_pin"
    assert pending_prompt(shop.env, phone.customer_number) is None
    phone.wait_for_replies(count=1)

    retried = shop.checkout(
        str(shop.order(order_id)["conversation_id"]), phone.customer_number, [("T-D2", 1, "S")]
    )
    prompt = pending_prompt(shop.env, phone.customer_number)
    assert prompt is not None
    assert answer_prompt(shop.env, prompt["reference"], "1234") == "approve"
    assert shop.order(str(retried.order_id))["status"] == "paid"


def test_sandbox_command_answers_a_prompt_by_reference(shop, phone, capsys):
    from duka_local.sandbox_cli import cmd_mpesa, register

    order_id = open_order(shop, phone)
    [push] = shop.pushes(order_id)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sandbox", "mpesa", "cancel", push["merchant_reference"]])

    assert cmd_mpesa(args) == 0
    assert "failed (cancelled)" in capsys.readouterr().out
    assert shop.order(order_id)["failure_reason"] == "cancelled_by_user"
