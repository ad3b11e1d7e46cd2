"""Refunds: never more than the order received, reversed through M-Pesa for Daraja receipts
(pending until M-Pesa's result, done or failed once), recorded by hand for any other payment,
and stock back on the shelf only when the owner says the goods came back.

Real stack: checkout as the application role -> the Daraja sandbox (the customer pays) ->
refund rules under RLS, which record the refund and its `refund_requested` event in the outbox ->
payment-events -> process_payment (the function holding the payment secrets) sends the Reversal
request -> M-Pesa's result posted to the callback function -> the refund's status and the
customer's notice.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from duka import publishing
from duka.db.pool import tenant_transaction
from duka.orders import ledger, payment_events, refunds
from duka.orders.checkout import CheckoutStatus
from duka.orders.daraja_notices import notice_url
from duka.orders.notifications import notify_payment_event
from duka.orders.owner_payments import confirm_payment
from duka.orders.reversals import RESULT_KIND, SENDING
from duka.payments.daraja_reversal import ReversalResult
from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import create_owned_boutique, signed_in_owner
from tests.payments_support import Shop, as_app_role, wait_until

PRICE = 2800  # one Blue Floral Midi Dress (M) delivered to Westlands


def sync_templates() -> None:
    """Twilio holds the templates before the first is needed (the owner's sign-in code, a
    notice outside the window), as after `duka whatsapp templates sync` in production."""
    from duka_local.cli import main

    assert main(["whatsapp", "templates", "sync"]) == 0


@pytest.fixture(scope="module")
def templates_synced(stack) -> None:
    sync_templates()


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        shop = Shop(boutique["id"], boutique["number"], admin_db, stack)
        shop.use_gateway("daraja")
        yield shop


def open_order(shop: Shop) -> str:
    customer = random_kenyan_number()
    conversation_id = shop.conversation(customer, cart_skus=("T-D1",))
    result = shop.checkout(conversation_id, customer, [("T-D1", 1, "M")])
    assert result.status is CheckoutStatus.STK_SENT
    return str(result.order_id)


def paid_order(shop: Shop) -> str:
    """An order the customer paid with an M-Pesa prompt through Daraja."""
    order_id = open_order(shop)
    shop.customer_answers(order_id, "approve", gateway="daraja")
    assert wait_until(lambda: shop.order(order_id)["status"] == "paid")
    return order_id


def ask(shop: Shop, order_id: str, amount: int, method: str = "reversal") -> refunds.Requested:
    with tenant_transaction(shop.business_id) as conn:
        requested = refunds.request_refund(
            conn,
            order_id,
            amount=str(amount),
            method=method,
            reason="wrong size",
            owner_phone="+254700000001",
        )
    assert requested is not None
    return requested


def reverse(shop: Shop, order_id: str, amount: int) -> refunds.Requested:
    """The owner's refund through M-Pesa: recorded, then its event published, as the dashboard
    does; process_payment sends it to Daraja."""
    requested = ask(shop, order_id, amount)
    assert requested.event is not None
    payment_events.publish(requested.event)
    return requested


def reversals_sent(shop: Shop, receipt: str) -> list[dict[str, Any]]:
    """The Reversal requests Daraja received for one M-Pesa receipt."""
    response = httpx.get(shop.sandbox_url("daraja") + "/_sandbox/reversals")
    response.raise_for_status()
    return [r for r in response.json()["reversals"] if r["receipt"] == receipt]


def refund_rows(shop: Shop, order_id: str) -> list[dict[str, Any]]:
    return shop.admin.execute(
        "SELECT r.*, p.receipt, p.gateway FROM refunds r JOIN payments p ON p.id = r.payment_id"
        " WHERE r.order_id = %s ORDER BY r.requested_at, r.amount DESC",
        (order_id,),
    ).fetchall()


def settled(shop: Shop, order_id: str) -> list[tuple[int, str]]:
    """Each refund's amount and status once none is pending any more."""
    assert wait_until(lambda: all(r["status"] != "pending" for r in refund_rows(shop, order_id)))
    return [(int(r["amount"]), r["status"]) for r in refund_rows(shop, order_id)]


def notices(shop: Shop, order_id: str) -> list[dict[str, Any]]:
    return shop.admin.execute(
        "SELECT content, metadata FROM messages WHERE metadata->>'kind' = 'refund_sent'"
        " AND metadata->>'order_id' = %s ORDER BY created_at",
        (order_id,),
    ).fetchall()


def force_next_reversal(shop: Shop, order_id: str, outcome: str) -> None:
    """M-Pesa's next answer about this order's payment (other tests' reversals go on)."""
    [payment] = shop.admin.execute(
        "SELECT receipt FROM payments WHERE order_id = %s", (order_id,)
    ).fetchall()
    receipt = payment["receipt"]
    response = httpx.post(
        shop.sandbox_url("daraja") + "/_sandbox/reversals/next",
        json={"outcome": outcome, "receipt": receipt},
    )
    response.raise_for_status()


def test_a_part_refund_is_reversed_once_m_pesa_confirms_and_the_customer_is_told(shop):
    order_id = paid_order(shop)
    requested = ask(shop, order_id, 1000)
    [pending] = refund_rows(shop, order_id)
    assert (pending["status"], pending["conversation_id"]) == ("pending", None)  # not sent yet
    assert requested.event is not None
    assert requested.event.payload["refund_ids"] == list(requested.refund_ids)

    payment_events.publish(requested.event)

    assert settled(shop, order_id) == [(1000, "done")]
    [row] = refund_rows(shop, order_id)
    [sent] = reversals_sent(shop, row["receipt"])
    assert sent["amount_kes"] == 1000 and sent["conversation_id"] == row["conversation_id"]
    assert row["result_code"] == "0" and row["reversal_receipt"]
    [notice] = notices(shop, order_id)
    assert "we have sent you KES 1,000 back for your order of KES 2,800" in notice["content"]
    assert notice["metadata"]["template"]["name"] == "refund_sent"
    assert shop.order(order_id)["status"] == "paid"  # refunds add no order status


def test_a_refund_never_exceeds_what_the_order_received(shop):
    order_id = paid_order(shop)
    with pytest.raises(refunds.NotRefundable, match="At most KES 2,800"):
        ask(shop, order_id, 2801)
    ask(shop, order_id, 2000)  # pending: its amount is held

    with pytest.raises(refunds.NotRefundable, match="At most KES 800"):
        ask(shop, order_id, 1000)
    with pytest.raises(refunds.NotRefundable, match="whole number of shillings"):
        ask(shop, order_id, 0)
    assert [int(r["amount"]) for r in refund_rows(shop, order_id)] == [2000]


def test_a_failed_reversal_frees_its_amount_for_another_try(shop):
    order_id = paid_order(shop)
    force_next_reversal(shop, order_id, "fail")
    reverse(shop, order_id, PRICE)
    assert settled(shop, order_id) == [(PRICE, "failed")]

    reverse(shop, order_id, PRICE)

    assert settled(shop, order_id) == [(PRICE, "failed"), (PRICE, "done")]
    assert len(notices(shop, order_id)) == 1  # only the refund that went through is told


def test_a_request_m_pesa_drops_from_its_queue_fails_and_tells_nobody(shop):
    order_id = paid_order(shop)
    force_next_reversal(shop, order_id, "timeout")

    reverse(shop, order_id, 500)

    assert settled(shop, order_id) == [(500, "failed")]
    assert notices(shop, order_id) == []


def test_a_redelivered_refund_event_sends_nothing_twice(shop):
    order_id = paid_order(shop)
    requested = ask(shop, order_id, 900)
    assert requested.event is not None
    for _ in range(3):  # Pub/Sub delivers at least once: copies may race the first
        publishing.publish(publishing.PAYMENT_EVENTS, requested.event.payload)
    assert settled(shop, order_id) == [(900, "done")]

    notify_payment_event(requested.event.payload)  # process_payment's work, redelivered late
    time.sleep(1)  # room for any copy still in flight to send a second reversal

    [row] = refund_rows(shop, order_id)
    assert len(reversals_sent(shop, row["receipt"])) == 1
    assert settled(shop, order_id) == [(900, "done")]
    assert len(notices(shop, order_id)) == 1


def test_a_refund_whose_sender_died_mid_send_is_never_sent_again(shop):
    order_id = paid_order(shop)
    requested = ask(shop, order_id, 600)
    assert requested.event is not None
    shop.admin.execute(  # a first delivery claimed it, then its process died mid-send
        "UPDATE refunds SET result_desc = %s WHERE order_id = %s", (SENDING, order_id)
    )

    notify_payment_event(requested.event.payload)  # Pub/Sub redelivers the event

    [row] = refund_rows(shop, order_id)
    assert (row["status"], row["result_desc"]) == ("pending", SENDING)  # M-Pesa may have it
    assert reversals_sent(shop, row["receipt"]) == []


def test_a_repeated_result_changes_nothing_and_tells_the_customer_once(shop):
    order_id = paid_order(shop)
    reverse(shop, order_id, 700)
    assert settled(shop, order_id) == [(700, "done")]
    [row] = refund_rows(shop, order_id)
    url = notice_url(RESULT_KIND, shop.business_id)
    result = {
        "ResultType": 0,
        "OriginatorConversationID": row["originator_conversation_id"],
        "ConversationID": row["conversation_id"],
        "TransactionID": row["reversal_receipt"],
    }

    again = httpx.post(url, json={"Result": {**result, "ResultCode": 0, "ResultDesc": "ok"}})
    failed = httpx.post(url, json={"Result": {**result, "ResultCode": 1, "ResultDesc": "no"}})
    forged = httpx.post(url.rsplit("/", 1)[0] + "/" + "0" * 64, json={"Result": result})

    assert (again.status_code, failed.status_code) == (200, 200)
    assert again.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert forged.status_code in (401, 403)
    assert settled(shop, order_id) == [(700, "done")]
    assert len(notices(shop, order_id)) == 1


def test_payments_m_pesa_cannot_reverse_are_refunded_by_hand_and_done_at_once(shop):
    order_id = open_order(shop)
    with tenant_transaction(shop.business_id) as conn:
        confirm_payment(conn, shop.business_id, order_id, code="QMN4PQRST5", amount="2800")
    assert shop.order(order_id)["status"] == "paid"

    with pytest.raises(refunds.NotRefundable, match="M-Pesa cannot reverse it"):
        ask(shop, order_id, 500)
    ask(shop, order_id, 500, method="by_hand")

    assert [(int(r["amount"]), r["status"], r["method"]) for r in refund_rows(shop, order_id)] == [
        (500, "done", "by_hand")
    ]
    [notice] = notices(shop, order_id)
    assert "we have sent you KES 500 back" in notice["content"]


def test_an_order_still_being_paid_for_refunds_nothing(shop):
    order_id = open_order(shop)
    with tenant_transaction(shop.business_id) as conn:  # a first part of the money came in
        confirm_payment(conn, shop.business_id, order_id, code="QPA6RTIAL7", amount="1000")
    assert shop.order(order_id)["status"] == "pending"

    with pytest.raises(refunds.NotRefundable, match="still being paid for"):
        ask(shop, order_id, 500, method="by_hand")

    assert refund_rows(shop, order_id) == []


def test_a_refund_is_drawn_from_the_newest_payment_first(shop):
    order_id = paid_order(shop)
    with tenant_transaction(shop.business_id) as conn:  # the customer also paid 500 too much
        ledger.record_owner_payment(
            conn, order_id=order_id, receipt="QOV5ERPAY6", amount=Decimal(500)
        )

    ask(shop, order_id, 3000, method="by_hand")

    # all of the newer 500, the rest from the older 2,800 (oldest first would take 2,800 + 200)
    drawn = {r["gateway"]: int(r["amount"]) for r in refund_rows(shop, order_id)}
    assert drawn == {"manual": 500, "daraja": 2500}
    with pytest.raises(refunds.NotRefundable, match="At most KES 300"):
        ask(shop, order_id, 301, method="by_hand")


def test_stock_goes_back_only_when_the_owner_says_the_goods_came_back_and_only_once(shop):
    on_the_shelf = shop.stock("T-D1")
    order_id = paid_order(shop)
    reverse(shop, order_id, PRICE)
    assert settled(shop, order_id) == [(PRICE, "done")]
    assert shop.stock("T-D1") == on_the_shelf - 1  # refunded, but the dress is not back yet

    with tenant_transaction(shop.business_id) as conn:
        assert refunds.goods_came_back(conn, order_id, "+254700000001") == 1
    with pytest.raises(refunds.NotRefundable, match="already put back"):
        with tenant_transaction(shop.business_id) as conn:
            refunds.goods_came_back(conn, order_id, "+254700000001")

    assert shop.stock("T-D1") == on_the_shelf


def test_another_boutique_cannot_refund_an_order_or_return_its_goods(shop, admin_db):
    order_id = paid_order(shop)
    other = admin_db.execute(
        "INSERT INTO businesses (name, whatsapp_number, phone) VALUES ('Other', %s, %s)"
        " RETURNING id",
        (random_kenyan_number(), random_kenyan_number()),
    ).fetchone()

    with tenant_transaction(str(other["id"])) as conn:
        assert (
            refunds.request_refund(
                conn, order_id, amount="100", method="by_hand", reason="", owner_phone="+2547"
            )
            is None
        )
        assert refunds.goods_came_back(conn, order_id, "+2547") is None

    assert refund_rows(shop, order_id) == []


# A sequence of owner requests and M-Pesa results: ("ask", amount, method) or
# ("result", which pending reversal, done?, how many deliveries).
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("ask"), st.integers(1, 4000), st.sampled_from(["reversal", "by_hand"])),
        st.tuples(st.just("result"), st.integers(0, 5), st.booleans(), st.integers(1, 3)),
    ),
    min_size=1,
    max_size=15,
)


def test_pending_and_done_refunds_never_exceed_what_was_received(shop):
    order_id = paid_order(shop)

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(steps=STEPS, extra=st.integers(0, 1500))
    def property_holds(steps: list[tuple[Any, ...]], extra: int) -> None:
        with psycopg.connect(shop.env["APP_DATABASE_URL"], row_factory=dict_row) as conn:
            with conn.transaction(force_rollback=True):
                conn.execute("SELECT set_config('app.business_id', %s, true)", (shop.business_id,))
                if extra:  # a second payment, which M-Pesa cannot reverse
                    receipt = "QX" + secrets.token_hex(4).upper()
                    ledger.record_owner_payment(
                        conn, order_id=order_id, receipt=receipt, amount=Decimal(extra)
                    )
                received = PRICE + extra
                seen: dict[str, str] = {}  # refund id -> the status its first result gave
                for step in steps:
                    if step[0] == "ask":
                        _, amount, method = step
                        room = _room(conn, order_id, method)
                        try:
                            refunds.request_refund(
                                conn,
                                order_id,
                                amount=str(amount),
                                method=method,
                                reason="",
                                owner_phone="+254700000001",
                            )
                        except refunds.NotRefundable:
                            assert amount > room
                        else:
                            assert amount <= room
                    else:
                        _, which, done, deliveries = step
                        _deliver(conn, order_id, which, done, deliveries, seen)
                    _assert_never_more_than_received(conn, order_id, received)

    property_holds()


def _room(conn: psycopg.Connection[Any], order_id: str, method: str) -> int:
    payments = refunds.payment_balances(conn, order_id)
    if method == "reversal":
        payments = [p for p in payments if p["gateway"] == "daraja"]
    return int(sum(p["amount"] - p["held"] for p in payments))


def _deliver(
    conn: psycopg.Connection[Any],
    order_id: str,
    which: int,
    done: bool,
    deliveries: int,
    seen: dict[str, str],
) -> None:
    """M-Pesa's result for one reversal, delivered `deliveries` times: only the first counts."""
    reversals = conn.execute(
        "SELECT id FROM refunds WHERE order_id = %s AND method = 'reversal'"
        " ORDER BY requested_at, id",
        (order_id,),
    ).fetchall()
    if not reversals:
        return
    refund_id = str(reversals[which % len(reversals)]["id"])
    conversation = f"AG_{refund_id}"
    conn.execute(  # what the request's answer recorded
        "UPDATE refunds SET conversation_id = %s, originator_conversation_id = %s WHERE id = %s",
        (conversation, f"o-{refund_id}", refund_id),
    )
    result = ReversalResult(
        originator_conversation_id=f"o-{refund_id}",
        conversation_id=conversation,
        done=done,
        result_code="0" if done else "1",
        result_desc="",
        reversal_receipt="RREV" + refund_id[:6] if done else None,
        original_receipt=None,
        amount_kes=None,
    )
    for _ in range(deliveries):
        applied = refunds.apply_result(conn, result)
        assert applied is not None
        if refund_id in seen:
            assert (applied.changed, applied.status) == (False, seen[refund_id])
        else:
            assert applied.changed
            seen[refund_id] = applied.status


def _assert_never_more_than_received(
    conn: psycopg.Connection[Any], order_id: str, received: int
) -> None:
    payments = refunds.payment_balances(conn, order_id)
    assert all(p["held"] <= p["amount"] for p in payments)
    assert sum(p["held"] for p in payments) <= received


def test_an_unreadable_result_is_refused_at_the_edge(shop):
    response = httpx.post(
        notice_url(RESULT_KIND, shop.business_id), content=json.dumps({"nothing": 1}).encode()
    )
    assert response.status_code == 400


def test_on_the_order_page_a_refused_refund_says_why_and_another_boutique_gets_404(
    shop, stack, templates_synced
):
    order_id = paid_order(shop)
    other = create_owned_boutique(shop.admin, "Other Boutique")
    refund = f"/dashboard/orders/{order_id}/refund"

    with signed_in_owner(stack, shop.admin, shop.business_id) as owner:
        too_much = {"amount": "5000", "method": "reversal"}
        refused = owner.post(refund, too_much, follow_redirects=True)
        by_hand = owner.post(refund, {"amount": "300", "method": "by_hand"}, follow_redirects=True)
    with signed_in_owner(stack, shop.admin, other.id) as stranger:
        foreign = stranger.post(refund, {"amount": "100", "method": "by_hand"})
        foreign_goods = stranger.post(f"/dashboard/orders/{order_id}/goods-back")

    assert "At most KES 2,800 can still be refunded through M-Pesa." in refused.text
    assert "Refund of KES 300 recorded. The customer is told on WhatsApp." in by_hand.text
    assert "refunded KES 300" in by_hand.text
    assert (foreign.status_code, foreign_goods.status_code) == (404, 404)
    assert [(int(r["amount"]), r["method"]) for r in refund_rows(shop, order_id)] == [
        (300, "by_hand")
    ]


def test_a_reversal_daraja_refuses_at_once_shows_failed_on_the_order_page(
    shop, stack, templates_synced
):
    order_id = paid_order(shop)
    force_next_reversal(shop, order_id, "refuse")
    page = f"/dashboard/orders/{order_id}"

    with signed_in_owner(stack, shop.admin, shop.business_id) as owner:
        landed = owner.post(
            f"{page}/refund", {"amount": "1200", "method": "reversal"}, follow_redirects=True
        )
        assert settled(shop, order_id) == [(1200, "failed")]
        refreshed = owner.get(page).text

    assert (
        "Refund of KES 1,200 sent to M-Pesa: the status below changes when M-Pesa answers."
        in landed.text
    )
    assert ">Failed" in refreshed
    assert "Daraja refused the reversal: Bad Request - Invalid TransactionID" in refreshed
    assert "refunded KES 0" in refreshed and "pending KES" not in refreshed
    assert notices(shop, order_id) == []
