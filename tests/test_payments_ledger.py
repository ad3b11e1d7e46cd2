"""The payments ledger: an order's money is the sum of the payments matched to it, each M-Pesa
receipt counted once however often or by whichever path it arrives.

Real stack: checkout as the application role -> PayLink sandbox; results are applied through
`duka.orders.callbacks.apply_result` (the path callbacks and the reconciler share) and the
ledger is written as the application role, under RLS.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from duka.orders import ledger
from duka.orders.callbacks import Applied, apply_result
from duka.orders.checkout import CheckoutStatus
from duka.payments import PaymentResult, PaymentStatus
from tests.conftest import random_kenyan_number
from tests.payments_support import Shop, as_app_role

PRICE = 2800  # one Blue Floral Midi Dress (M) with delivery to Westlands


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def open_order(shop: Shop, customer: str) -> str:
    conversation_id = shop.conversation(customer, cart_skus=("T-D1",))
    result = shop.checkout(conversation_id, customer, [("T-D1", 1, "M")])
    assert result.status is CheckoutStatus.STK_SENT
    return str(result.order_id)


def paid(attempt: dict[str, Any], receipt: str, amount: int = PRICE) -> PaymentResult:
    """What a PayLink callback or status query says once the customer paid."""
    return PaymentResult(
        gateway="paylink",
        status=PaymentStatus.PAID,
        checkout_request_id=attempt["checkout_request_id"],
        mpesa_reference=None,
        order_reference=None,
        amount_kes=amount,
        transaction_id=receipt,
        failure_reason=None,
        result_code="0",
        result_desc="paid",
        raw={},
    )


def test_a_paid_result_writes_one_ledger_row_and_repeats_add_nothing(shop):
    order_id = open_order(shop, random_kenyan_number())
    [attempt] = shop.attempts(order_id)

    first = apply_result(shop.business_id, paid(attempt, "QLEDGER0001"))
    again = apply_result(shop.business_id, paid(attempt, "QLEDGER0001"))  # callback redelivered

    assert (first, again) == (Applied.PAID, Applied.UNCHANGED)
    rows = shop.admin.execute(
        "SELECT receipt, amount, matched_by, payer_phone_masked, attempt_id FROM payments"
        " WHERE order_id = %s",
        (order_id,),
    ).fetchall()
    assert len(rows) == 1
    assert rows[0]["receipt"] == "QLEDGER0001"
    assert rows[0]["amount"] == Decimal(PRICE)
    assert rows[0]["matched_by"] == "stk_push"
    assert rows[0]["attempt_id"] == attempt["id"]
    assert rows[0]["payer_phone_masked"].endswith(attempt["pay_phone"][-3:])
    assert "*" in rows[0]["payer_phone_masked"]
    assert shop.order(order_id)["status"] == "paid"


def test_a_receipt_already_counted_never_pays_a_second_order(shop):
    first_order = open_order(shop, random_kenyan_number())
    second_order = open_order(shop, random_kenyan_number())
    [first_attempt] = shop.attempts(first_order)
    [second_attempt] = shop.attempts(second_order)

    assert apply_result(shop.business_id, paid(first_attempt, "QLEDGER0002")) is Applied.PAID
    reused = apply_result(shop.business_id, paid(second_attempt, "QLEDGER0002"))

    assert reused is Applied.FLAGGED
    second = shop.order(second_order)
    assert second["status"] == "pending" and second["flagged"] is True
    assert "QLEDGER0002 was already counted" in second["flag_reason"]
    totals = shop.admin.execute(
        "SELECT order_id, sum(amount) AS total FROM payments WHERE receipt = 'QLEDGER0002'"
        " AND business_id = %s GROUP BY order_id",
        (shop.business_id,),
    ).fetchall()
    assert [(str(row["order_id"]), row["total"]) for row in totals] == [
        (first_order, Decimal(PRICE))
    ]


def test_a_partial_payment_is_in_the_ledger_and_flags_the_order(shop):
    order_id = open_order(shop, random_kenyan_number())
    [attempt] = shop.attempts(order_id)

    assert apply_result(shop.business_id, paid(attempt, "QLEDGER0003", 280)) is Applied.FLAGGED

    with psycopg.connect(shop.env["APP_DATABASE_URL"], row_factory=dict_row) as conn:
        conn.execute("SELECT set_config('app.business_id', %s, false)", (shop.business_id,))
        assert ledger.received(conn, order_id) == Decimal(280)
        assert [p["receipt"] for p in ledger.for_order(conn, order_id)] == ["QLEDGER0003"]


# (which of two pushes, receipt from a small pool, amount): deliveries that repeat a receipt,
# as a redelivered callback or the status query after the callback would.
DELIVERIES = st.lists(
    st.tuples(st.integers(0, 1), st.sampled_from(["QA", "QB", "QC"]), st.integers(1, 5000)),
    min_size=1,
    max_size=12,
)


def test_the_sum_matched_to_an_order_counts_each_receipt_once(shop):
    orders = [open_order(shop, random_kenyan_number()) for _ in range(2)]
    attempts = [shop.attempts(order_id)[0] for order_id in orders]

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(deliveries=DELIVERIES, suffix=st.uuids())
    def property_holds(deliveries: list[tuple[int, str, int]], suffix: Any) -> None:
        counted: dict[str, tuple[int, int]] = {}  # receipt -> (push, amount) of its first arrival
        pushes_paid: set[int] = set()
        with psycopg.connect(shop.env["APP_DATABASE_URL"], row_factory=dict_row) as conn:
            with conn.transaction(force_rollback=True):
                conn.execute("SELECT set_config('app.business_id', %s, true)", (shop.business_id,))
                for push, code, amount in deliveries:
                    receipt = f"{code}{suffix.hex[:8]}"
                    added = ledger.record_stk_payment(
                        conn,
                        attempt=attempts[push],
                        gateway="paylink",
                        receipt=receipt,
                        amount=Decimal(amount),
                    )
                    fresh = receipt not in counted and push not in pushes_paid
                    assert added == fresh
                    if fresh:
                        counted[receipt] = (push, amount)
                        pushes_paid.add(push)
                for push, order_id in enumerate(orders):
                    expected = sum(a for p, a in counted.values() if p == push)
                    assert ledger.received(conn, order_id) == Decimal(expected)
                    receipts = [p["receipt"] for p in ledger.for_order(conn, order_id)]
                    assert len(receipts) == len(set(receipts))

    property_holds()
