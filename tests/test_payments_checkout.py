"""Checkout on the real database and the PayLink sandbox: prices, stock, idempotency, phones."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from psycopg.types.json import Jsonb

from duka.orders.checkout import CheckoutResult, CheckoutStatus
from duka.orders.gateway_choice import boutique_secret_name
from duka.orders.reservations import set_size_stock
from duka.secrets import env_var_name, get_secret_store
from duka_local.stack.stack import LOCAL_PAYMENT_ENV
from tests.conftest import random_kenyan_number
from tests.payments_support import Shop, as_app_role

LOCAL_PAYLINK_KEYS = {
    "PAYLINK_API_KEY": LOCAL_PAYMENT_ENV["PAYLINK_API_KEY"],
    "PAYLINK_USERNAME": LOCAL_PAYMENT_ENV["PAYLINK_USERNAME"],
}


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def new_customer(shop: Shop) -> tuple[str, str]:
    phone = random_kenyan_number()
    return shop.conversation(phone), phone


def test_fifty_concurrent_checkouts_for_ten_units_sell_exactly_ten(shop, monkeypatch):
    from duka.config import get_settings
    from duka.db.pool import close_pools

    monkeypatch.setenv("DB_POOL_MAX", "20")
    get_settings.cache_clear()
    close_pools()
    shop.set_stock("T-T1", 10)
    customers = [new_customer(shop) for _ in range(50)]

    def buy(customer: tuple[str, str]):
        return shop.checkout(customer[0], customer[1], [("T-T1", 1, "M")])

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(buy, customers))

    sent = [r for r in results if r.status is CheckoutStatus.STK_SENT]
    sold_out = [r for r in results if r.status is CheckoutStatus.SOLD_OUT]
    assert len(sent) == 10
    assert len(sold_out) == 40
    assert all(r.sold_out == ("White Cotton Blouse",) for r in sold_out)
    assert shop.stock("T-T1") == 0
    assert all(len(shop.pushes(r.order_id)) == 1 for r in sent)


def test_push_asks_for_the_database_total_with_delivery_from_another_number(shop):
    conversation_id, phone = new_customer(shop)
    shop.admin.execute(
        "UPDATE businesses SET settings = %s WHERE id = %s",
        (Jsonb({"delivery": {"fees": {"nairobi": 250}}}), shop.business_id),
    )

    result = shop.checkout(
        conversation_id, phone, [("T-D1", 1, "m"), ("T-S1", 2, None)], pay_phone="0722 123 456"
    )

    assert result.status is CheckoutStatus.STK_SENT
    assert result.amount_kes == 2500 + 2 * 1600 + 250
    [push] = shop.pushes(result.order_id)
    assert push["amount_kes"] == 5950
    assert push["phone"] == "+254722123456"
    order = shop.order(result.order_id)
    assert order["status"] == "pending"
    assert order["delivery_info"]["fee_kes"] == 250
    assert order["customer_phone"] == phone
    assert shop.stock("T-D1") == 4 and shop.stock("T-S1") == 2
    assert shop.reservations(result.order_id) == ["reserved", "reserved"]


def test_invalid_payment_number_is_rejected_before_any_order_or_push(shop):
    conversation_id, phone = new_customer(shop)

    result = shop.checkout(conversation_id, phone, [("T-D1", 1, "M")], pay_phone="0812 345 678")

    assert result.status is CheckoutStatus.INVALID_PHONE
    assert result.order_id is None
    assert shop.stock("T-D1") == 5
    count = shop.admin.execute(
        "SELECT count(*) AS n FROM orders WHERE conversation_id = %s", (conversation_id,)
    ).fetchone()
    assert count["n"] == 0


def test_empty_cart_creates_nothing(shop):
    conversation_id, phone = new_customer(shop)

    assert shop.checkout(conversation_id, phone, []).status is CheckoutStatus.EMPTY_CART


def test_retried_turn_with_the_same_key_never_pushes_twice(shop):
    conversation_id, phone = new_customer(shop)

    first = shop.checkout(conversation_id, phone, [("T-D2", 1, "S")], key="SMturn1")
    again = shop.checkout(conversation_id, phone, [("T-D2", 1, "S")], key="SMturn1")

    assert first.status is again.status is CheckoutStatus.STK_SENT
    assert again.order_id == first.order_id
    assert len(shop.pushes(first.order_id)) == 1
    assert shop.stock("T-D2") == 2


def test_push_with_unknown_outcome_stays_pending_and_is_never_repeated(shop):
    conversation_id, phone = new_customer(shop)
    httpx.post(shop.env["PAYLINK_BASE_URL"] + "/_sandbox/fail_next", json={"status": 503})

    first = shop.checkout(conversation_id, phone, [("T-D2", 1, "S")], key="SMunknown")
    again = shop.checkout(conversation_id, phone, [("T-D2", 1, "S")], key="SMunknown")

    assert first.status is again.status is CheckoutStatus.OUTCOME_UNKNOWN
    assert shop.order(first.order_id)["status"] == "pending"
    assert shop.pushes(first.order_id) == []  # the retry did not reach the gateway
    assert shop.stock("T-D2") == 2  # held until the reconciler settles it


def test_second_checkout_while_a_payment_is_open_is_refused(shop):
    conversation_id, phone = new_customer(shop)
    first = shop.checkout(conversation_id, phone, [("T-D1", 1, "M")])

    second = shop.checkout(conversation_id, phone, [("T-D1", 1, "M")])

    assert second.status is CheckoutStatus.ALREADY_PENDING
    assert second.order_id == first.order_id
    assert len(shop.pushes(first.order_id)) == 1
    assert shop.stock("T-D1") == 4


def test_gateway_down_releases_the_stock_and_the_same_order_is_retried_later(shop, settings_env):
    conversation_id, phone = new_customer(shop)
    sandbox = shop.env["PAYLINK_BASE_URL"]
    settings_env(PAYLINK_BASE_URL="http://127.0.0.1:9")  # nothing listens

    down = shop.checkout(conversation_id, phone, [("T-S1", 1, "M")])

    assert down.status is CheckoutStatus.GATEWAY_UNAVAILABLE
    assert shop.order(down.order_id)["status"] == "failed"
    assert shop.stock("T-S1") == 4
    assert shop.reservations(down.order_id) == ["released"]

    settings_env(PAYLINK_BASE_URL=sandbox)
    retried = shop.checkout(conversation_id, phone, [("T-S1", 1, "M")])

    assert retried.status is CheckoutStatus.STK_SENT
    assert retried.order_id == down.order_id
    order = shop.order(retried.order_id)
    assert (order["status"], order["attempt"]) == ("pending", 2)
    assert shop.stock("T-S1") == 3
    assert len(shop.pushes(retried.order_id)) == 1


def test_stock_is_counted_per_size_when_the_boutique_tracks_sizes(shop):
    from duka.db.pool import tenant_transaction

    product_id = str(shop.product("T-D1")["id"])
    with tenant_transaction(shop.business_id) as conn:
        set_size_stock(conn, shop.business_id, product_id, {"S": 1, "M": 0, "L": 2})
    first, second, third = (new_customer(shop) for _ in range(3))

    medium = shop.checkout(*first, [("T-D1", 1, "M")])
    small = shop.checkout(*second, [("T-D1", 1, "S")])
    small_again = shop.checkout(*third, [("T-D1", 1, "S")])

    assert medium.status is CheckoutStatus.SOLD_OUT
    assert medium.sold_out == ("Blue Floral Midi Dress",)
    assert small.status is CheckoutStatus.STK_SENT
    assert small_again.status is CheckoutStatus.SOLD_OUT
    assert shop.stock("T-D1") == 2  # the two L left


def test_checkout_completes_while_the_customers_turn_holds_the_conversation_lock(shop):
    from duka.db.pool import tenant_transaction
    from duka.store.conversations import lock_conversation

    conversation_id, phone = new_customer(shop)
    with ThreadPoolExecutor(max_workers=1) as pool, tenant_transaction(shop.business_id) as turn:
        lock_conversation(turn, conversation_id)
        result = pool.submit(shop.checkout, conversation_id, phone, [("T-D1", 1, "M")])

        assert result.result(timeout=15).status is CheckoutStatus.STK_SENT


def test_boutique_with_its_own_credentials_pushes_with_them(shop, monkeypatch):
    def use(payment: dict[str, object]) -> None:
        settings = {"payment": {"gateway": "paylink", **payment}}
        shop.admin.execute(
            "UPDATE businesses SET settings = %s WHERE id = %s", (Jsonb(settings), shop.business_id)
        )

    conversation_id, phone = new_customer(shop)
    pushes_before = len(
        httpx.get(shop.sandbox_url("paylink") + "/_sandbox/pushes").json()["pushes"]
    )
    use({"own_credentials": True})
    missing = shop.checkout(conversation_id, phone, [("T-S1", 1, "M")])
    other_boutique = f"boutique-{uuid.uuid4()}-paylink"
    monkeypatch.setenv(env_var_name(other_boutique), json.dumps(LOCAL_PAYLINK_KEYS))
    use({"credentials_secret": other_boutique})
    foreign = shop.checkout(conversation_id, phone, [("T-S1", 1, "M")])
    own_secret = boutique_secret_name(shop.business_id, "paylink")
    monkeypatch.setenv(env_var_name(own_secret), '{"PAYLINK_API_KEY": "revoked-key"}')
    get_secret_store.cache_clear()  # forget that the secret was missing a moment ago
    use({"own_credentials": True})
    incomplete = shop.checkout(conversation_id, phone, [("T-S1", 1, "M")])
    revoked = {**LOCAL_PAYLINK_KEYS, "PAYLINK_API_KEY": "revoked-key"}
    monkeypatch.setenv(env_var_name(own_secret), json.dumps(revoked))
    get_secret_store.cache_clear()
    refused = shop.checkout(conversation_id, phone, [("T-S1", 1, "M")])

    assert missing == CheckoutResult(CheckoutStatus.GATEWAY_UNAVAILABLE, None, 0)
    assert foreign == CheckoutResult(CheckoutStatus.GATEWAY_UNAVAILABLE, None, 0)
    assert incomplete == CheckoutResult(CheckoutStatus.GATEWAY_UNAVAILABLE, None, 0)
    assert refused.status is CheckoutStatus.GATEWAY_UNAVAILABLE  # the sandbox refused that key
    assert shop.order(str(refused.order_id))["failure_reason"] == "gateway_misconfigured"
    pushes = httpx.get(shop.sandbox_url("paylink") + "/_sandbox/pushes").json()["pushes"]
    assert len(pushes) == pushes_before  # no platform key filled a gap, no foreign key was used
    assert shop.stock("T-S1") == 4
