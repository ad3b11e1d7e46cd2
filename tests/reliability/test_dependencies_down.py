"""Guarantee 4: a dependency down or slow never leaves the customer without an answer or with
stock held. (Database and Pub/Sub outages: test_outages.py.)"""

from __future__ import annotations

import json
import time

import pytest

from duka_local.sandboxes.gemini_fake import ServerError, Slow
from tests.reliability.conftest import UNREACHABLE_GATEWAY
from tests.reliability.support import Boutique, create_boutique, customer, wait_for

REPLY_DEADLINE_S = 10.0


@pytest.fixture(scope="module")
def online_shop(online_stack: dict[str, str]) -> Boutique:
    return create_boutique("Online Boutique")


@pytest.mark.parametrize(
    "failure",
    [ServerError(503, "The service is currently unavailable."), Slow(30.0, then=ServerError())],
    ids=["gemini-down", "gemini-hangs"],
)
def test_with_gemini_down_or_hanging_the_template_reply_arrives_within_10_seconds(
    online_stack, online_shop, gemini, failure
):
    phone = customer(online_stack, online_shop)
    gemini.script(failure)
    started = time.monotonic()
    phone.send("hello, what dresses do you have?")

    replies = phone.wait_for_replies(count=1, timeout=REPLY_DEADLINE_S, settle=0)
    elapsed = time.monotonic() - started

    assert replies, f"no reply within {REPLY_DEADLINE_S:.0f} s"
    assert elapsed < REPLY_DEADLINE_S
    assert "Blue Floral Midi Dress - KES 2,500" in replies[0]["body"]


def test_with_the_payment_gateway_down_the_customer_is_told_to_retry_and_no_stock_is_held(
    online_stack, db
):
    shop = create_boutique("Gateway Down Boutique")
    db.execute(
        "UPDATE businesses SET settings = %s WHERE id = %s",
        (json.dumps({"payment": {"gateway": UNREACHABLE_GATEWAY}}), shop.id),
    )
    phone = customer(online_stack, shop)
    for text in ("red bodycon dress", "I want #1 in size S", "checkout"):
        phone.send(text)
        assert phone.wait_for_replies(count=1, timeout=30), text
    stock = stock_of(db, shop, "T-D2")

    phone.send("Deliver to Westlands, Sarit Centre")
    told = "\n".join(r["body"] for r in phone.wait_for_replies(count=1, timeout=30))

    assert "isn't responding" in told and "try again" in told
    assert stock_of(db, shop, "T-D2") == stock
    orders = db.execute(
        "SELECT id, status FROM orders WHERE business_id = %s AND customer_phone = %s",
        (shop.id, phone.customer_number),
    ).fetchall()
    assert [o["status"] for o in orders] == ["failed"]
    held = db.execute(
        "SELECT count(*) AS n FROM stock_reservations WHERE order_id = %s AND state = 'reserved'",
        (orders[0]["id"],),
    ).fetchone()["n"]
    assert held == 0

    db.execute("UPDATE businesses SET settings = '{}' WHERE id = %s", (shop.id,))
    phone.send("checkout")  # the gateway is back: the retry prompts and holds the piece
    assert "M-Pesa" in phone.wait_for_replies(count=1, timeout=30)[0]["body"]
    assert wait_for(lambda: stock_of(db, shop, "T-D2") == stock - 1)


def stock_of(db, shop: Boutique, sku: str) -> int:
    return int(
        db.execute(
            "SELECT stock FROM products WHERE business_id = %s AND sku = %s", (shop.id, sku)
        ).fetchone()["stock"]
    )
