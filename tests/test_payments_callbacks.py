"""Payment callbacks through the real stack: gateway sandbox -> paylink_callback -> database ->
payment-events -> process_payment -> the customer's WhatsApp."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from duka.orders.checkout import CheckoutStatus
from duka.payments import FailureReason, failure_message
from tests.payments_support import Shop, as_app_role, paylink_success


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def open_order(shop: Shop, phone: Any, *, language: str | None = None) -> tuple[str, str]:
    """The customer checks out one Blue Floral Midi Dress (M) for Westlands: KES 2,800."""
    conversation_id = shop.conversation(
        phone.customer_number, language=language, cart_skus=("T-D1",)
    )
    result = shop.checkout(conversation_id, phone.customer_number, [("T-D1", 1, "M")])
    assert result.status is CheckoutStatus.STK_SENT
    return conversation_id, str(result.order_id)


def test_paid_callback_confirms_the_order_once_even_when_posted_five_times(shop, phone):
    conversation_id, order_id = open_order(shop, phone)

    push = shop.customer_answers(order_id, "approve")
    body = paylink_success(push)
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: shop.post_paylink_callback(body).status_code, range(4)))

    assert push["callback_status"] == 200
    assert statuses == [200] * 4
    order = shop.order(order_id)
    assert order["status"] == "paid"
    assert order["transaction_id"] == push["transaction_id"]
    assert order["paid_at"] is not None
    assert shop.stock("T-D1") == 4
    assert shop.reservations(order_id) == ["committed"]
    assert shop.cart(conversation_id) == {"items": []}
    replies = phone.wait_for_replies(count=1, settle=2.0)
    assert len(replies) == 1
    assert replies[0]["body"].startswith("✅ Payment received!")
    assert "Blue Floral Midi Dress (M) x1 — KES 2,500" in replies[0]["body"]
    assert f"Total paid: KES 2,800 · M-Pesa {push['transaction_id']}" in replies[0]["body"]
    assert shop.memories() == ["Bought Blue Floral Midi Dress size M, KES 2,500"]


def test_forged_paylink_signature_is_refused_and_changes_nothing(shop, phone):
    _, order_id = open_order(shop, phone)
    [push] = shop.pushes(order_id)
    body = paylink_success(push)

    forged = shop.post_paylink_callback(body, secret="not-the-webhook-secret")
    unsigned = httpx.post(
        shop.env["WEBHOOK_BASE_URL"] + "/webhook/paylink/callback", content=json.dumps(body)
    )

    assert forged.status_code == unsigned.status_code == 401
    assert shop.order(order_id)["status"] == "pending"
    assert shop.reservations(order_id) == ["reserved"]
    assert phone.wait_for_replies(count=1, timeout=1.5) == []


def test_amount_that_differs_from_the_order_is_flagged_not_paid(shop, phone):
    _, order_id = open_order(shop, phone)
    [push] = shop.pushes(order_id)

    response = shop.post_paylink_callback(paylink_success(push, amount=280))

    assert response.status_code == 200
    order = shop.order(order_id)
    assert order["status"] == "pending"
    assert order["flagged"] is True
    assert "KES 280 for an order of KES 2,800" in order["flag_reason"]
    [attempt] = shop.attempts(order_id)
    assert (attempt["status"], attempt["amount_received"]) == ("flagged", 280)
    assert shop.reservations(order_id) == ["reserved"]
    [reply] = phone.wait_for_replies(count=1)
    assert "payment of KES 280 for your order of KES 2,800" in reply["body"]


def test_failed_callback_after_success_changes_nothing(shop, phone):
    _, order_id = open_order(shop, phone)
    push = shop.customer_answers(order_id, "approve")
    phone.wait_for_replies(count=1)

    failed = {**paylink_success(push), "status": "failed", "reason": "wrong_pin"}
    response = shop.post_paylink_callback(failed)

    assert response.status_code == 200
    assert shop.order(order_id)["status"] == "paid"
    assert shop.reservations(order_id) == ["committed"]
    assert shop.stock("T-D1") == 4
    assert phone.wait_for_replies(count=1, timeout=1.5) == []


def test_wrong_pin_fails_the_order_returns_the_stock_and_says_why(shop, phone):
    _, order_id = open_order(shop, phone)

    shop.customer_answers(order_id, "decline")

    order = shop.order(order_id)
    assert (order["status"], order["failure_reason"]) == ("failed", "wrong_pin")
    assert shop.stock("T-D1") == 5
    assert shop.reservations(order_id) == ["released"]
    [reply] = phone.wait_for_replies(count=1)
    assert reply["body"] == failure_message(FailureReason.WRONG_PIN, "en")


def test_cancelled_prompt_is_explained_in_swahili_to_a_swahili_speaker(shop, phone):
    _, order_id = open_order(shop, phone, language="sw")

    shop.customer_answers(order_id, "cancel")

    assert shop.order(order_id)["failure_reason"] == "cancelled_by_user"
    [reply] = phone.wait_for_replies(count=1)
    assert reply["body"] == failure_message(FailureReason.CANCELLED_BY_USER, "sw")


def test_daraja_callback_to_a_wrong_path_token_changes_nothing(shop, phone):
    shop.use_gateway("daraja")
    _, order_id = open_order(shop, phone)
    [push] = shop.pushes(order_id, "daraja")
    assert push["callback_url"].endswith("/webhook/daraja/callback/local-daraja-callback-token")
    forged = {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": push["merchant_reference"],
                "CheckoutRequestID": push["checkout_request_id"],
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 2800.0},
                        {"Name": "MpesaReceiptNumber", "Value": "QFORGED123"},
                    ]
                },
            }
        }
    }

    wrong = httpx.post(
        shop.env["WEBHOOK_BASE_URL"] + "/webhook/daraja/callback/guessed-token", json=forged
    )
    bare = httpx.post(shop.env["WEBHOOK_BASE_URL"] + "/webhook/daraja/callback", json=forged)

    assert wrong.status_code == bare.status_code == 401
    assert shop.order(order_id)["status"] == "pending"
    assert shop.reservations(order_id) == ["reserved"]


def test_daraja_paid_callback_is_confirmed_with_the_status_query(shop, phone):
    shop.use_gateway("daraja")
    _, order_id = open_order(shop, phone)

    push = shop.customer_answers(order_id, "approve", gateway="daraja")

    assert push["callback_status"] == 200
    order = shop.order(order_id)
    assert order["status"] == "paid"
    assert order["transaction_id"] == push["transaction_id"]
    [reply] = phone.wait_for_replies(count=1)
    assert reply["body"].startswith("✅ Payment received!")


def test_callback_for_an_unknown_reference_is_acknowledged(shop):
    unknown = {
        "status": "success",
        "reference": "00000000-0000-0000-0000-000000000000",
        "mpesa_reference": "MPXNOSUCH",
        "amount": 100,
        "transaction_id": "QNOSUCH",
    }

    assert shop.post_paylink_callback(unknown).status_code == 200


def test_unreadable_signed_callback_is_a_bad_request(shop):
    response = shop.post_paylink_callback({"status": "maybe", "reference": "x"})

    assert response.status_code == 400
