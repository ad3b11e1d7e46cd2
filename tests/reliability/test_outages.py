"""Guarantees 1 and 4 under real outages: a private stack whose Pub/Sub emulator and database
are stopped and started again while customers write."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest

from duka_local.stack.stack import Stack, StackPorts
from tests.reliability.support import (
    Boutique,
    admin,
    create_boutique,
    customer,
    messages_of,
    point_process_at,
    replies_to,
    wait_for,
)


@dataclass
class Outage:
    stack: Stack
    env: dict[str, str]
    shop: Boutique
    _db: psycopg.Connection[dict[str, Any]] | None = None

    @property
    def db(self) -> psycopg.Connection[dict[str, Any]]:
        """An administrator connection, opened again after the database restarted."""
        if self._db is None or self._db.closed:
            self._db = admin(self.env)
        return self._db

    def stop_database(self) -> None:
        if self._db is not None:
            self._db.close()
        self.stack.stop_database()

    def start_database(self) -> None:
        self.stack.start_database()


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    stack = Stack(
        home=tmp_path_factory.mktemp("duka-outage"),
        ports=StackPorts.random(),
        scheduler_interval=1.0,
        # The sweep republishes after 3 s instead of a minute; openers wait 3 s for a burst,
        # long enough to stop the database while one is in flight.
        extra_env={"SWEEP_UNANSWERED_AFTER_SECONDS": "3", "BURST_WINDOW_MS": "3000"},
    )
    env = stack.up()
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            point_process_at(env, monkeypatch)
            outage = Outage(stack, env, create_boutique("Outage Boutique"))
            yield outage
            outage.db.close()
    finally:
        from duka.config import get_settings

        get_settings.cache_clear()
        stack.down()


def post_until_stored(phone: Any, fields: dict[str, str], timeout: float = 30) -> list[int]:
    """Retry the webhook like Twilio does until it answers 2xx; returns every status seen."""
    statuses: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses.append(phone.post(fields).status_code)
        if statuses[-1] < 300:
            break
        time.sleep(0.5)
    return statuses


def test_a_message_stored_while_pubsub_is_down_is_answered_once_after_the_sweep(outage):
    phone = customer(outage.env, outage.shop)
    outage.stack.stop_emulator()
    try:
        response = phone.send("do you have a white blouse?")
        stored = messages_of(outage.db, outage.shop, phone)
    finally:
        outage.stack.start_emulator()

    assert response.status_code == 200  # stored, so Twilio must not retry
    assert [(m["role"], m["answered_by"]) for m in stored] == [("customer", None)]
    replies = phone.wait_for_replies(count=1, timeout=60, settle=3.0)
    assert len(replies) == 1 and "White Cotton Blouse" in replies[0]["body"]
    assert len(replies_to(outage.db, outage.shop, phone)) == 1


def test_the_webhook_answers_5xx_only_while_it_cannot_store_and_twilios_retry_is_answered(outage):
    phone = customer(outage.env, outage.shop)
    fields = phone.form("kitenge skirt")
    outage.stop_database()
    try:
        refused = phone.post(fields).status_code
    finally:
        outage.start_database()

    statuses = post_until_stored(phone, fields)

    assert refused == 503
    assert statuses[-1] == 200 and all(s in (200, 503) for s in statuses)
    replies = phone.wait_for_replies(count=1, timeout=30, settle=2.0)
    assert len(replies) == 1 and "Kitenge Pencil Skirt" in replies[0]["body"]
    assert [m["role"] for m in messages_of(outage.db, outage.shop, phone)] == ["customer", "agent"]


def test_processing_cut_off_by_a_database_outage_is_retried_and_answers_once(outage):
    phone = customer(outage.env, outage.shop)
    post_until_stored(
        phone, phone.form("hi")
    )  # an opener: processing waits 3 s for more of a burst first
    time.sleep(1.0)
    outage.stop_database()
    time.sleep(4.0)  # the run wakes up to a dead database and fails; Pub/Sub retries
    outage.start_database()

    replies = phone.wait_for_replies(count=1, timeout=60, settle=3.0)
    assert len(replies) == 1
    stored = messages_of(outage.db, outage.shop, phone)
    assert [m["role"] for m in stored] == ["customer", "agent"]
    assert stored[0]["answered_by"] == stored[1]["id"]


def test_a_database_outage_during_checkout_leaves_no_partial_order(outage):
    shop = outage.shop
    phone = customer(outage.env, shop)
    for text in ("red bodycon dress", "I want #1 in size S", "checkout"):
        post_until_stored(phone, phone.form(text))  # the pool may still hold dead connections
        assert phone.wait_for_replies(count=1, timeout=30), text
    stock_before = product(outage.db, shop, "T-D2")["stock"]
    paylink = outage.env["PAYLINK_BASE_URL"]
    httpx.post(paylink + "/_sandbox/fail_next", json={"hang": True}).raise_for_status()

    # The prompt reaches the phone, but the gateway's answer comes too late; while waiting for
    # it the database goes away, so nothing about the push can be recorded.
    phone.send("Deliver to Westlands, Sarit Centre")
    push = wait_for(lambda: pushes_to(paylink, phone.customer_number))
    outage.stop_database()
    time.sleep(11)  # past the gateway client's 10 s timeout
    outage.start_database()

    told = phone.wait_for_replies(count=1, timeout=60, settle=3.0)
    assert len(told) == 1 and "M-Pesa" in told[0]["body"]
    assert len(pushes_to(paylink, phone.customer_number)) == 1  # never prompted twice
    db = outage.db
    order = only_order(db, shop, phone)
    assert order["status"] == "pending" and order_is_whole(db, order)
    assert product(db, shop, "T-D2")["stock"] == stock_before - 1

    reference = push[0]["checkout_request_id"]
    httpx.post(f"{paylink}/_sandbox/pushes/{reference}/approve", json={}).raise_for_status()
    paid = wait_for(lambda: only_order(db, shop, phone)["status"] == "paid", timeout=30)

    assert paid and order_is_whole(db, only_order(db, shop, phone))
    assert product(db, shop, "T-D2")["stock"] == stock_before - 1


def pushes_to(paylink: str, phone_number: str) -> list[dict[str, Any]]:
    pushes = httpx.get(paylink + "/_sandbox/pushes").json()["pushes"]
    return [p for p in pushes if p["phone"].lstrip("+") == phone_number.lstrip("+")]


def product(db: Any, shop: Boutique, sku: str) -> dict[str, Any]:
    return dict(
        db.execute(
            "SELECT * FROM products WHERE business_id = %s AND sku = %s", (shop.id, sku)
        ).fetchone()
    )


def only_order(db: Any, shop: Boutique, phone: Any) -> dict[str, Any]:
    rows = db.execute(
        "SELECT * FROM orders WHERE business_id = %s AND customer_phone = %s",
        (shop.id, phone.customer_number),
    ).fetchall()
    assert len(rows) == 1, rows
    return dict(rows[0])


def order_is_whole(db: Any, order: dict[str, Any]) -> bool:
    """Items, attempt and reservations all there, and agreeing with the order's state."""
    items = db.execute("SELECT * FROM order_items WHERE order_id = %s", (order["id"],)).fetchall()
    attempts = db.execute(
        "SELECT * FROM payment_attempts WHERE order_id = %s", (order["id"],)
    ).fetchall()
    reserved = db.execute(
        "SELECT state, quantity FROM stock_reservations WHERE order_id = %s", (order["id"],)
    ).fetchall()
    expected_state = {"pending": "reserved", "paid": "committed"}.get(order["status"], "released")
    return (
        len(items) >= 1
        and len(attempts) == order["attempt"]
        and sum(r["quantity"] for r in reserved) == sum(i["quantity"] for i in items)
        and {r["state"] for r in reserved} == {expected_state}
    )
