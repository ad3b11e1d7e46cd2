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
from duka.orders.gateway_choice import boutique_callback_token
from duka.payments import FailureReason, failure_message
from duka.store.businesses import create_business
from tests.conftest import random_kenyan_number
from tests.payments_support import Shop, as_app_role, paylink_success


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def daraja_callback_url(shop: Shop, business_id: str) -> str:
    """Where Daraja posts outcomes for this boutique: its id and its own token in the path."""
    token = boutique_callback_token(shop.env["DARAJA_CALLBACK_TOKEN"], business_id)
    return f"{shop.env['WEBHOOK_BASE_URL']}/webhook/daraja/callback/{business_id}/{token}"


def daraja_callback(push: dict[str, Any], *, result_code: int) -> dict[str, Any]:
    """The callback Daraja sends for this push; with payment metadata when it says paid."""
    callback: dict[str, Any] = {
        "MerchantRequestID": push["merchant_reference"],
        "CheckoutRequestID": push["checkout_request_id"],
        "ResultCode": result_code,
        "ResultDesc": "forged",
    }
    if result_code == 0:
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": float(push["amount_kes"])},
                {"Name": "MpesaReceiptNumber", "Value": "QFORGED123"},
            ]
        }
    return {"Body": {"stkCallback": callback}}


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
    assert push["callback_url"] == daraja_callback_url(shop, shop.business_id)
    forged = daraja_callback(push, result_code=0)
    base = shop.env["WEBHOOK_BASE_URL"] + "/webhook/daraja/callback"
    platform_token = shop.env["DARAJA_CALLBACK_TOKEN"]

    statuses = [
        httpx.post(url, json=forged).status_code
        for url in (
            f"{base}/{shop.business_id}/guessed-token",
            f"{base}/{platform_token}",  # the old platform-wide path
            f"{base}/{shop.business_id}/{platform_token}",
            f"{base}/{shop.business_id}",
            base,
        )
    ]

    assert statuses == [401] * 5
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


def test_failure_callback_the_gateway_still_calls_pending_keeps_the_stock_reserved(shop, phone):
    _, order_id = open_order(shop, phone)
    [push] = shop.pushes(order_id)  # the customer has not answered the prompt
    failed = {**paylink_success(push), "status": "failed", "reason": "wrong_pin"}

    response = shop.post_paylink_callback(failed)

    assert response.status_code == 200
    assert shop.order(order_id)["status"] == "pending"
    assert shop.reservations(order_id) == ["reserved"]
    assert shop.stock("T-D1") == 4
    [attempt] = shop.attempts(order_id)
    assert attempt["status"] == "pending"
    assert phone.wait_for_replies(count=1, timeout=1.5) == []


def test_forged_failure_callback_for_a_paid_payment_releases_nothing(shop, phone):
    shop.use_gateway("daraja")
    _, order_id = open_order(shop, phone)
    push = shop.customer_answers(order_id, "approve", gateway="daraja", lose_callback=True)

    forged = httpx.post(
        daraja_callback_url(shop, shop.business_id), json=daraja_callback(push, result_code=2001)
    )

    assert forged.status_code == 200
    order = shop.order(order_id)
    assert order["status"] == "paid"  # the gateway said paid: the failure was not believed
    assert shop.reservations(order_id) == ["committed"]
    assert shop.stock("T-D1") == 4


def test_paylink_callback_without_an_amount_is_refused_and_changes_nothing(shop, phone):
    _, order_id = open_order(shop, phone)
    push = shop.customer_answers(order_id, "approve", lose_callback=True)
    body = paylink_success(push)
    del body["amount"]

    response = shop.post_paylink_callback(body)

    assert response.status_code == 400
    order = shop.order(order_id)
    assert (order["status"], order["flagged"]) == ("pending", False)
    assert shop.reservations(order_id) == ["reserved"]
    assert [a["status"] for a in shop.attempts(order_id)] == ["pending"]


def test_one_boutiques_daraja_token_cannot_settle_another_boutiques_payment(shop, phone):
    other_id = create_business(
        shop.admin, name="Other Boutique", whatsapp_number=random_kenyan_number()
    )
    shop.use_gateway("daraja")
    _, order_id = open_order(shop, phone)
    push = shop.customer_answers(order_id, "approve", gateway="daraja", lose_callback=True)
    paid = daraja_callback(push, result_code=0)

    stolen = httpx.post(daraja_callback_url(shop, other_id), json=paid)

    assert stolen.status_code == 401
    assert shop.order(order_id)["status"] == "pending"
    assert shop.reservations(order_id) == ["reserved"]
    own = httpx.post(daraja_callback_url(shop, shop.business_id), json=paid)
    assert own.status_code == 200
    assert shop.order(order_id)["status"] == "paid"
