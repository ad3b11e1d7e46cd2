"""Lipa pole pole (layaway) rules on the real stack: the deposit minimum and amount caps, stock
held from the deposit to the end of the term, instalments until paid, the term's end releasing
stock once, and reminders that go once (two job runs at the same time), as their template
outside the 24-hour window and never to a customer who opted out.

Checkout and instalments run as the application role against the PayLink sandbox; the
customer approves each prompt on the sandbox, whose callback goes through paylink_callback,
payment-events and process_payment to the customer's WhatsApp (the Twilio sandbox)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from psycopg.types.json import Jsonb

from duka.orders.checkout import (
    CartLine,
    CheckoutResult,
    CheckoutStatus,
    DeliveryDetails,
    LayawayRequest,
    delivery_fee,
    start_checkout,
)
from duka.orders.layaway import Terms
from duka.orders.layaway_instalments import Instalment, pay_instalment
from duka.orders.layaway_jobs import run_layaway
from duka.orders.reconcile import ReconcileSettings, reconcile_payments
from duka.whatsapp_templates import TEMPLATES
from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import sandbox_messages, signed_in_owner
from tests.payments_support import Shop, as_app_role, wait_until

LAYAWAY = {
    "enabled": True,
    "min_deposit_percent": 30,
    "term_days": 30,
    "reminder_every_days": 7,
    "deposit_policy": "store_credit",
}


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    """The small catalogue's boutique with lipa pole pole on (30% deposit, 30 days)."""
    admin_db.execute(
        "UPDATE businesses SET settings = settings || %s WHERE id = %s",
        (Jsonb({"layaway": LAYAWAY}), boutique["id"]),
    )
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def start_plan(shop: Shop, customer: str, amount: int | None = None) -> CheckoutResult:
    """The customer asks to pay one Blue Floral Midi Dress (M, Westlands: KES 2,800) pole pole."""
    conversation_id = shop.conversation(customer, cart_skus=("T-D1",))
    return start_checkout(
        business_id=shop.business_id,
        conversation_id=conversation_id,
        customer_phone=customer,
        pay_phone=None,
        lines=[CartLine(str(shop.product("T-D1")["id"]), 1, "M")],
        delivery=DeliveryDetails("Hse 4, Mvuli Rd", "Westlands", delivery_fee({}, "Westlands")),
        idempotency_key="SM" + secrets.token_hex(16),
        layaway_request=LayawayRequest(amount),
    )


def instalment(shop: Shop, order_id: str, customer: str, amount: int | None) -> Any:
    return pay_instalment(
        business_id=shop.business_id,
        order_id=order_id,
        amount=amount,
        customer_phone=customer,
        idempotency_key="SM" + secrets.token_hex(16),
    )


def approve(shop: Shop, phone: Any, order_id: str) -> str:
    """The customer enters the PIN on the newest prompt; the notice they get."""
    shop.customer_answers(order_id, "approve")
    [notice] = phone.wait_for_replies(count=1)
    return str(notice["body"])


def deposit_paid(shop: Shop, phone: Any) -> str:
    result = start_plan(shop, phone.customer_number)
    assert result.status is CheckoutStatus.STK_SENT
    order_id = str(result.order_id)
    approve(shop, phone, order_id)
    return order_id


def messages(shop: Shop, order_id: str, kind: str) -> list[dict[str, Any]]:
    return shop.admin.execute(
        "SELECT content, delivery_status, delivery_error, metadata FROM messages"
        " WHERE metadata->>'order_id' = %s AND metadata->>'kind' = %s",
        (order_id, kind),
    ).fetchall()


def test_the_deposit_is_at_least_the_minimum_and_never_more_than_the_total():
    terms = Terms(min_deposit_percent=30, term_days=30, reminder_every_days=7, deposit_policy="")

    assert terms.minimum_deposit(2800) == 840
    assert terms.minimum_deposit(Decimal("1001")) == 301  # 300.3 rounds up
    assert terms.deposit(2800, None) == 840
    assert terms.deposit(2800, 500) == 840  # below the minimum: the minimum
    assert terms.deposit(2800, 1500) == 1500
    assert terms.deposit(2800, 9000) == 2800  # above the total: the total


def test_a_deposit_holds_the_stock_past_the_prompt_expiry_and_tells_the_balance(shop, phone):
    on_the_shelf = shop.stock("T-D1")
    result = start_plan(shop, phone.customer_number, amount=1000)
    order_id = str(result.order_id)
    [push] = shop.pushes(order_id)

    notice = approve(shop, phone, order_id)
    # The 15-minute expiry of an unpaid order does not touch a plan.
    shop.admin.execute(
        "UPDATE orders SET expires_at = now() - interval '1 hour' WHERE id = %s", (order_id,)
    )
    reconcile_payments(ReconcileSettings(query_after_s=0))

    assert (result.amount_kes, result.total_kes, push["amount_kes"]) == (1000, 2800, 1000)
    assert "Received KES 1,000 for your lipa pole pole order" in notice
    assert "Paid so far: KES 1,000 of KES 2,800. Balance: KES 1,800, due by" in notice
    order = shop.order(order_id)
    assert order["status"] == "layaway" and not order["flagged"]
    assert shop.reservations(order_id) == ["reserved"]
    assert shop.stock("T-D1") == on_the_shelf - 1
    assert shop.cart(str(order["conversation_id"])) == {"items": []}


def test_instalments_are_capped_by_the_balance_and_the_last_one_pays_the_order(shop, phone):
    customer = phone.customer_number
    order_id = deposit_paid(shop, phone)  # KES 840 of 2,800

    too_much = instalment(shop, order_id, customer, 5000)
    first = instalment(shop, order_id, customer, 1000)
    while_open = instalment(shop, order_id, customer, 500)
    middle = approve(shop, phone, order_id)
    last = instalment(shop, order_id, customer, None)  # the balance
    paid = approve(shop, phone, order_id)

    assert (too_much.status, too_much.balance_kes) == (Instalment.OVER_BALANCE, 1960)
    assert (first.status, first.amount_kes) == (Instalment.SENT, 1000)
    assert while_open.status is Instalment.PROMPT_OPEN
    assert "Received KES 1,000" in middle and "Balance: KES 960" in middle
    assert (last.status, last.amount_kes) == (Instalment.SENT, 960)
    assert "Payment received" in paid
    order = shop.order(order_id)
    assert order["status"] == "paid" and order["attempt"] == 3
    assert [int(p["amount_kes"]) for p in shop.pushes(order_id)] == [840, 1000, 960]
    assert shop.reservations(order_id) == ["committed"]


def test_a_shop_without_layaway_or_an_item_left_out_of_it_opens_no_plan(shop, phone):
    another = random_kenyan_number()
    shop.admin.execute(
        "UPDATE products SET layaway = false WHERE business_id = %s AND sku = 'T-D1'",
        (shop.business_id,),
    )
    left_out = start_plan(shop, phone.customer_number)
    shop.admin.execute(
        "UPDATE products SET layaway = true WHERE business_id = %s", (shop.business_id,)
    )
    shop.admin.execute(
        "UPDATE businesses SET settings = settings - 'layaway' WHERE id = %s", (shop.business_id,)
    )
    shop_off = start_plan(shop, another)

    assert left_out.status is CheckoutStatus.LAYAWAY_UNAVAILABLE
    assert shop_off.status is CheckoutStatus.LAYAWAY_UNAVAILABLE
    count = shop.admin.execute(
        "SELECT count(*) AS n FROM orders WHERE customer_phone IN (%s, %s)",
        (phone.customer_number, another),
    ).fetchone()
    assert count["n"] == 0


def test_the_end_of_the_term_releases_the_stock_once_and_alerts_the_owner(shop, phone):
    on_the_shelf = shop.stock("T-D1")
    order_id = deposit_paid(shop, phone)
    owner = shop.admin.execute(
        "SELECT phone FROM businesses WHERE id = %s", (shop.business_id,)
    ).fetchone()["phone"]
    shop.admin.execute(
        "UPDATE orders SET layaway_due_at = now() - interval '1 minute' WHERE id = %s",
        (order_id,),
    )

    run_layaway()
    run_layaway()

    order = shop.order(order_id)
    assert order["status"] == "lapsed" and order["layaway_lapsed_at"] is not None
    assert shop.reservations(order_id) == ["released"]
    assert shop.stock("T-D1") == on_the_shelf  # back once, not twice
    [told] = messages(shop, order_id, "layaway_lapsed")
    assert "ended on" in told["content"] and "KES 1,960 still unpaid" in told["content"]
    alerts = wait_until(lambda: sandbox_messages(shop.env, owner))
    assert len(alerts) == 1 and "lipa pole pole term ended unpaid" in alerts[0]["body"]


def _last_wrote(shop: Shop, phone: str, hours_ago: float) -> None:
    """WhatsApp's side of the 24-hour window (the Twilio sandbox judges numbers it saw write)."""
    httpx.post(
        shop.env["TWILIO_API_BASE_URL"] + "/_sandbox/inbound",
        json={"from": phone, "to": shop.number, "at": time.time() - hours_ago * 3600},
    ).raise_for_status()


def test_a_reminder_goes_once_under_two_concurrent_runs_as_its_template_outside_the_window(
    shop, phone
):
    customer = phone.customer_number
    order_id = deposit_paid(shop, phone)
    _last_wrote(shop, customer, 48)
    shop.admin.execute(
        "UPDATE conversations SET last_customer_message_at = now() - interval '48 hours'"
        " WHERE business_id = %s AND customer_phone = %s",
        (shop.business_id, customer),
    )
    shop.admin.execute(
        "UPDATE orders SET layaway_next_reminder_at = now() - interval '1 minute' WHERE id = %s",
        (order_id,),
    )
    before = len(sandbox_messages(shop.env, customer))

    runs = [threading.Thread(target=run_layaway) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()

    [reminder] = messages(shop, order_id, "layaway_reminder")
    assert reminder["metadata"]["template"]["name"] == "payment_reminder"
    assert reminder["delivery_status"] == "sent", reminder["delivery_error"]
    sent = sandbox_messages(shop.env, customer)[before:]
    variables = {"1": "Test Boutique", "2": "Blue Floral Midi Dress M x1", "3": "KES 1,960"}
    assert len(sent) == 1 and sent[0]["content_variables"] == variables
    assert sent[0]["body"] == TEMPLATES["payment_reminder"].render("en", variables)
    due = shop.order(order_id)["layaway_next_reminder_at"]
    assert due.timestamp() > time.time() + 6 * 86400  # the next one, a week on


def test_no_reminder_goes_to_a_customer_who_opted_out(shop, phone):
    customer = phone.customer_number
    order_id = deposit_paid(shop, phone)
    shop.admin.execute(
        "INSERT INTO consent_events (business_id, customer_phone, kind, source)"
        " VALUES (%s, %s, 'opt_out', 'dashboard')",
        (shop.business_id, customer),
    )
    shop.admin.execute(
        "UPDATE orders SET layaway_next_reminder_at = now() - interval '1 minute' WHERE id = %s",
        (order_id,),
    )

    run_layaway()

    assert messages(shop, order_id, "layaway_reminder") == []
    due = shop.order(order_id)["layaway_next_reminder_at"]
    assert due is not None and due.timestamp() > time.time()  # claimed: not retried each run


@pytest.fixture()
def owner(stack, shop: Shop) -> Iterator[Any]:
    """The boutique's owner signed in to the dashboard (a cold stack's first sign-in code may
    still be on its way when the page answers: then wait for it, and sign in again)."""
    phone = shop.admin.execute(
        "SELECT phone FROM businesses WHERE id = %s", (shop.business_id,)
    ).fetchone()["phone"]
    try:
        with signed_in_owner(stack, shop.admin, shop.business_id):
            pass
    except AssertionError:
        wait_until(lambda: sandbox_messages(stack, phone), timeout=60)
    with signed_in_owner(stack, shop.admin, shop.business_id) as client:
        yield client


def test_the_owner_sets_the_terms_and_leaves_a_product_out(shop, owner):
    refused = owner.post("/dashboard/layaway/settings", {"enabled": "yes", "term_days": "0"})
    saved = owner.post(
        "/dashboard/layaway/settings",
        {
            "enabled": "yes",
            "min_deposit_percent": "40",
            "term_days": "60",
            "reminder_every_days": "3",
            "deposit_policy": "refund",
        },
    )
    product = shop.product("T-D1")
    page = owner.get(f"/dashboard/products/{product['id']}").text
    left_out = owner.post(f"/dashboard/layaway/products/{product['id']}", {"layaway": "no"})

    assert refused.status_code == 302 and saved.status_code == 302
    assert shop.settings()["layaway"] == {
        "enabled": True,
        "min_deposit_percent": 40,
        "term_days": 60,
        "reminder_every_days": 3,
        "deposit_policy": "refund",
    }
    assert 'data-testid="product-layaway"' in page and "Leave out of lipa pole pole" in page
    assert left_out.status_code == 302 and shop.product("T-D1")["layaway"] is False
    settings_page = owner.get("/dashboard/settings").text
    assert 'id="layaway"' in settings_page and 'value="60"' in settings_page


def test_the_owner_records_a_lapsed_plans_deposit_once(shop, phone, owner):
    order_id = deposit_paid(shop, phone)
    shop.admin.execute(
        "UPDATE orders SET layaway_due_at = now() - interval '1 minute' WHERE id = %s",
        (order_id,),
    )
    run_layaway()
    page = owner.get(f"/dashboard/orders/{order_id}").text

    first = owner.post(f"/dashboard/layaway/orders/{order_id}/deposit", {"decision": "refund"})
    again = owner.post(f"/dashboard/layaway/orders/{order_id}/deposit", {"decision": "keep"})
    after = owner.get(f"/dashboard/orders/{order_id}").text

    assert 'data-testid="layaway-plan"' in page and "The term ended unpaid" in page
    assert "Deposit: Refunded" in page  # one of the three decisions offered
    assert first.status_code == 302 and again.status_code == 302
    order = shop.order(order_id)
    assert order["layaway_decision"] == "refund" and order["layaway_decided_at"] is not None
    assert "Deposit: refunded" in after and "Received KES 840 of KES 2,800" in after


def test_an_instalment_whose_callback_is_lost_is_found_by_the_layaway_job(shop, phone):
    customer = phone.customer_number
    order_id = deposit_paid(shop, phone)
    assert instalment(shop, order_id, customer, 1000).status is Instalment.SENT
    shop.customer_answers(order_id, "approve", lose_callback=True)
    shop.admin.execute(
        "UPDATE payment_attempts SET created_at = now() - interval '5 minutes'"
        " WHERE order_id = %s AND attempt = 2",
        (order_id,),
    )

    run_layaway()  # (or the stack's own scheduled tick, whichever comes first)

    [notice] = phone.wait_for_replies(count=1)
    assert "Received KES 1,000" in notice["body"] and "Balance: KES 960" in notice["body"]
    assert shop.order(order_id)["status"] == "layaway"
    assert [a["status"] for a in shop.attempts(order_id)] == ["paid", "paid"]
