"""Guarantee 6, property-based: whatever arrives, the webhook, the entity extractor and the
payment callback parsers never crash or answer 5xx, and a rejection changes nothing."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from duka.orchestrator.entities import extract_entities
from duka.orchestrator.intents import classify
from duka.payments import CallbackRejected, PaymentResult
from duka.payments.paylink import SIGNATURE_HEADER, sign
from tests.reliability.support import Boutique, customer

# Text a Twilio form could carry: anything encodable (no lone surrogates), with the characters
# that break things drawn often.
NASTY = "\x00'\"%&=+;<>\\\u202e\u200b😀é\n"
TEXT = st.text(st.sampled_from(NASTY) | st.characters(codec="utf-8"), max_size=300)
E164_KENYA = re.compile(r"\+254[17]\d{8}")
HTTP_EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


# --- the entity extractor --------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_the_entity_extractor_and_classifier_read_any_text_without_crashing(text):
    entities = extract_entities(text)
    classify(text)

    assert entities.quantity is None or entities.quantity >= 0
    assert entities.max_price is None or entities.max_price >= 0
    assert entities.phone is None or E164_KENYA.fullmatch(entities.phone)
    assert all(isinstance(size, str) and size for size in entities.sizes)


# --- the WhatsApp webhook --------------------------------------------------------------------


def signed_post(stack: dict[str, str], fields: dict[str, str]) -> httpx.Response:
    url = stack["WEBHOOK_BASE_URL"] + "/webhook/whatsapp"
    signature = RequestValidator(stack["TWILIO_AUTH_TOKEN"]).compute_signature(url, fields)
    return httpx.post(url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=30)


@st.composite
def twilio_forms(draw: Any, to: str, sender: Any) -> dict[str, str]:
    """Forms shaped like Twilio's, with any values and extra fields."""
    fields = {
        "MessageSid": draw(st.just("SM" + secrets.token_hex(16)) | TEXT),
        "To": to,
        "From": draw(sender),
        "Body": draw(TEXT),
        "NumMedia": draw(st.sampled_from(["0", "1", "2", "10", "99"]) | TEXT),
        "MediaUrl0": draw(TEXT),
        "MediaContentType0": draw(TEXT),
        "ProfileName": draw(TEXT),
    }
    extra = draw(st.dictionaries(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij", min_size=1), TEXT))
    return {**extra, **fields}


def stored(db: Any, sid: str) -> list[dict[str, Any]]:
    """Messages stored under this MessageSid (as the webhook would store it: no NULs)."""
    return db.execute(
        "SELECT * FROM messages WHERE external_id = %s", (sid.replace("\x00", ""),)
    ).fetchall()


@pytest.fixture(scope="module")
def quiet_customer(stack: dict[str, str], shop: Boutique, db: Any) -> str:
    """A customer whose chat the owner has taken over: messages are stored, not answered."""
    phone = customer(stack, shop)
    db.execute(
        "INSERT INTO conversations (business_id, customer_phone, status)"
        " VALUES (%s, %s, 'handed_over')",
        (shop.id, phone.customer_number),
    )
    return phone.customer_number


@HTTP_EXAMPLES
@given(data=st.data())
def test_any_signed_form_to_an_unknown_number_gets_a_4xx_and_stores_nothing(stack, db, data):
    fields = data.draw(twilio_forms("whatsapp:+19990000000", TEXT))

    response = signed_post(stack, fields)

    assert response.status_code in (400, 404), response.text
    assert stored(db, fields["MessageSid"]) == []


@HTTP_EXAMPLES
@given(data=st.data())
def test_any_signed_form_to_a_boutique_is_stored_whole_or_refused_whole(
    stack, shop, db, quiet_customer, data
):
    senders = st.just(f"whatsapp:{quiet_customer}") | st.just(quiet_customer) | TEXT
    fields = data.draw(twilio_forms(f"whatsapp:{shop.number}", senders))
    before = stored(db, fields["MessageSid"])

    response = signed_post(stack, fields)

    assert response.status_code in (200, 400), response.text
    after = stored(db, fields["MessageSid"])
    if response.status_code == 400 or before:
        assert after == before
    else:
        assert len(after) == 1
        assert after[0]["content"] == fields["Body"].replace("\x00", "")[:4096]


# --- payment callbacks -----------------------------------------------------------------------


def paylink_bodies() -> st.SearchStrategy[bytes]:
    shaped = st.fixed_dictionaries(
        {},
        optional={
            key: JSON
            for key in (
                "status",
                "reference",
                "checkout_request_id",
                "mpesa_reference",
                "amount",
                "transaction_id",
                "reason",
                "result_code",
            )
        },
    )
    return st.one_of(
        st.binary(max_size=200),
        JSON.map(lambda v: json.dumps(v).encode()),
        shaped.map(lambda v: json.dumps(v).encode()),
    )


def daraja_bodies() -> st.SearchStrategy[bytes]:
    item = st.fixed_dictionaries({"Name": JSON}, optional={"Value": JSON})
    callback = st.fixed_dictionaries(
        {},
        optional={
            "MerchantRequestID": JSON,
            "CheckoutRequestID": JSON,
            "ResultCode": JSON,
            "ResultDesc": JSON,
            "CallbackMetadata": st.fixed_dictionaries({}, optional={"Item": st.lists(item) | JSON}),
        },
    )
    shaped = callback.map(lambda c: {"Body": {"stkCallback": c}})
    return st.one_of(
        st.binary(max_size=200),
        JSON.map(lambda v: json.dumps(v).encode()),
        shaped.map(lambda v: json.dumps(v).encode()),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=paylink_bodies())
def test_the_paylink_callback_parser_reads_or_rejects_anything_signed(stack, body):
    from duka.orders.gateway_choice import platform_gateway

    gateway = platform_gateway("paylink")
    headers = {SIGNATURE_HEADER: sign(body, stack["PAYLINK_WEBHOOK_SECRET"])}
    try:
        result = gateway.parse_callback(headers=headers, body=body, path_token=None)
    except CallbackRejected:
        return
    assert isinstance(result, PaymentResult)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=daraja_bodies())
def test_the_daraja_callback_parser_reads_or_rejects_anything_with_the_right_token(stack, body):
    from duka.orders.gateway_choice import platform_gateway

    gateway = platform_gateway("daraja")
    try:
        result = gateway.parse_callback(
            headers={}, body=body, path_token=stack["DARAJA_CALLBACK_TOKEN"]
        )
    except CallbackRejected:
        return
    assert isinstance(result, PaymentResult)


@pytest.fixture(scope="module")
def open_order(stack: dict[str, str], shop: Boutique, db: Any) -> dict[str, Any]:
    """A real pending order for the callbacks to aim at."""
    phone = customer(stack, shop)
    for text in ("red bodycon dress", "I want #1 in size S", "checkout"):
        phone.send(text)
        assert phone.wait_for_replies(count=1, timeout=30), text
    phone.send("Deliver to Westlands, Sarit Centre")
    assert phone.wait_for_replies(count=1, timeout=30)
    return dict(
        db.execute(
            "SELECT * FROM orders WHERE business_id = %s AND customer_phone = %s",
            (shop.id, phone.customer_number),
        ).fetchone()
    )


def order_state(db: Any, order_id: str) -> dict[str, Any]:
    order = db.execute(
        "SELECT status, flagged, attempt, transaction_id, paid_at FROM orders WHERE id = %s",
        (order_id,),
    ).fetchone()
    attempts = db.execute(
        "SELECT status, answered_at FROM payment_attempts WHERE order_id = %s ORDER BY attempt",
        (order_id,),
    ).fetchall()
    return {"order": order, "attempts": attempts}


@HTTP_EXAMPLES
@given(data=st.data())
def test_a_callback_aimed_at_a_real_order_never_gets_5xx_and_a_rejected_one_changes_nothing(
    stack, db, open_order, data
):
    references = {
        "reference": str(open_order["id"]),
        "checkout_request_id": open_order["checkout_request_id"],
        "mpesa_reference": open_order["mpesa_reference"],
    }
    body = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                **{key: st.just(value) | JSON for key, value in references.items()},
                "status": st.sampled_from(["success", "failed", "pending", ""]) | JSON,
                "amount": st.just(int(open_order["amount"])) | JSON,
                "transaction_id": JSON,
                "reason": JSON,
            },
        )
    )
    raw = json.dumps(body).encode()
    signed = data.draw(st.booleans())
    secret = stack["PAYLINK_WEBHOOK_SECRET"] if signed else "not-the-secret"
    before = order_state(db, str(open_order["id"]))

    response = httpx.post(
        stack["WEBHOOK_BASE_URL"] + "/webhook/paylink/callback",
        content=raw,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, secret)},
        timeout=30,
    )

    assert response.status_code in (200, 400, 401), response.text
    after = order_state(db, str(open_order["id"]))
    if response.status_code != 200:
        assert after == before
    if before["order"]["status"] != "paid" and after["order"]["status"] == "paid":
        assert body.get("amount") == int(open_order["amount"])  # paid only for the full amount
