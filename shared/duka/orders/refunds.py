"""Refunds: the owner gives back part or all of what an order received, and says when its goods
came back.

Under the order's row lock a refund never exceeds what the order received less its pending and
done refunds, nor any payment's share what that payment brought. The amount is split across the
order's payments, newest first, one refund row per payment. A Daraja receipt is reversed through
the Reversal API, pending until M-Pesa's result: the same transaction writes a `refund_requested`
payment event, and process_payment, which holds the payment secrets, sends the reversal
(duka.orders.reversals); the dashboard, which has none, never does. Any other payment (PayLink,
the owner's own record) cannot be reversed by API, so the owner records a refund made by hand,
done at once. A failed reversal frees its amount again. A
refund's status leaves pending once: a repeated result changes nothing. Done, the customer is
told in her language, as a template outside the 24-hour window. Stock goes back only when the
owner says the goods came back, once per order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from duka.db.pool import Connection
from duka.errors import Rejected
from duka.orders import ledger, reservations, store
from duka.orders.payment_events import PaymentEvent, QueuedEvent, enqueue
from duka.outbound import queue_reply
from duka.payments.daraja_reversal import ReversalResult
from duka.whatsapp_templates import TEMPLATES, template_metadata

REVERSIBLE_GATEWAY = "daraja"
# Orders still being paid for: their payments count towards paying them, so none is refunded
# until the order is paid, lapsed or cancelled.
STILL_PAYING = ("pending", "layaway")
METHODS = ("reversal", "by_hand")
TEMPLATE = "refund_sent"


class NotRefundable(Rejected):
    """The owner asked for a refund this order cannot give; the message says why."""


@dataclass(frozen=True)
class Requested:
    refund_ids: tuple[str, ...]  # one per payment drawn from
    method: str
    amount: Decimal
    notice_for: str | None  # the conversation a by-hand refund's notice waits in
    event: QueuedEvent | None  # reversals: publish after commit, process_payment sends them


@dataclass(frozen=True)
class Applied:
    changed: bool  # False: the refund had already left pending (a repeated result)
    status: str
    notice_for: str | None


def kes(amount: Decimal | int) -> str:
    return f"KES {Decimal(amount):,.0f}"


def payment_balances(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    """The order's payments, newest first, each with what its pending and done refunds hold."""
    return conn.execute(
        "SELECT p.id, p.receipt, p.gateway, p.amount, COALESCE(sum(r.amount)"
        " FILTER (WHERE r.status IN ('pending', 'done')), 0) AS held"
        " FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id"
        " WHERE p.order_id = %s GROUP BY p.id ORDER BY p.paid_at DESC, p.created_at DESC",
        (order_id,),
    ).fetchall()


def reversible(payment: Mapping[str, Any]) -> bool:
    return bool(payment["gateway"] == REVERSIBLE_GATEWAY)


def refundable(payments: Sequence[Mapping[str, Any]]) -> Decimal:
    return sum((Decimal(p["amount"]) - Decimal(p["held"]) for p in payments), Decimal(0))


def allocate(amount: Decimal, payments: Sequence[Mapping[str, Any]]) -> list[tuple[str, Decimal]]:
    """Split `amount` across the payments in the order given, each up to what it has left."""
    parts: list[tuple[str, Decimal]] = []
    left = amount
    for payment in payments:
        share = min(left, Decimal(payment["amount"]) - Decimal(payment["held"]))
        if share > 0:
            parts.append((str(payment["id"]), share))
            left -= share
    if left > 0:
        raise NotRefundable(f"Only {kes(amount - left)} can be refunded that way.")
    return parts


def whole_shillings(raw: str) -> Decimal:
    """The owner's amount: "1,000" or "1000"; M-Pesa moves whole shillings only."""
    try:
        amount = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        raise NotRefundable("Enter the amount to refund in shillings, e.g. 1000.") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.to_integral_value():
        raise NotRefundable("Enter a whole number of shillings above zero, e.g. 1000.")
    return amount


def request_refund(
    conn: Connection,
    order_id: str,
    *,
    amount: str,
    method: str,
    reason: str,
    owner_phone: str,
) -> Requested | None:
    """Record the owner's refund under the order's lock; None when the order is not visible.
    Raises NotRefundable for an amount the order's payments cannot give back that way."""
    order = store.lock_order(conn, order_id)
    if order is None:
        return None
    if method not in METHODS:
        raise NotRefundable("Choose how the money goes back.")
    if order["status"] in STILL_PAYING:
        raise NotRefundable(
            "This order is still being paid for: refund it once it is paid, lapsed or cancelled."
        )
    wanted = whole_shillings(amount)
    payments = payment_balances(conn, order_id)
    if not payments:
        raise NotRefundable("No money was received for this order, so there is nothing to refund.")
    held = sum((Decimal(p["held"]) for p in payments), Decimal(0))
    order_left = ledger.received(conn, order_id) - held
    sources = [p for p in payments if reversible(p)] if method == "reversal" else payments
    if method == "reversal" and not sources:
        raise NotRefundable(
            "No payment of this order came through Daraja, so M-Pesa cannot reverse it: "
            "send the money back yourself, then record it here."
        )
    left = min(order_left, refundable(sources))
    if wanted > left:
        route = " through M-Pesa" if method == "reversal" else ""
        raise NotRefundable(f"At most {kes(max(left, Decimal(0)))} can still be refunded{route}.")
    ids = tuple(
        _insert(conn, order, payment_id, share, method, reason, owner_phone)
        for payment_id, share in allocate(wanted, sources)
    )
    if method == "by_hand":
        return Requested(ids, method, wanted, queue_notice(conn, order, wanted), None)
    event = enqueue(
        conn,
        business_id=str(order["business_id"]),
        order_id=order_id,
        attempt=int(order["attempt"]),
        event=PaymentEvent.REFUND_REQUESTED,
        refund_ids=ids,
    )
    return Requested(ids, method, wanted, None, event)


def _insert(
    conn: Connection,
    order: Mapping[str, Any],
    payment_id: str,
    amount: Decimal,
    method: str,
    reason: str,
    owner_phone: str,
) -> str:
    done = method == "by_hand"  # the owner already sent it
    row = conn.execute(
        "INSERT INTO refunds (business_id, order_id, payment_id, amount, method, status, reason,"
        " requested_by, completed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
        " CASE WHEN %s THEN now() END) RETURNING id",
        (
            order["business_id"],
            order["id"],
            payment_id,
            amount,
            method,
            "done" if done else "pending",
            reason.strip()[:200] or None,
            owner_phone,
            done,
        ),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def apply_result(conn: Connection, result: ReversalResult) -> Applied | None:
    """M-Pesa's result for a reversal: done or failed, once. None: no refund has these ids."""
    found = conn.execute(
        "SELECT id, order_id FROM refunds WHERE conversation_id = %s"
        " OR originator_conversation_id = %s LIMIT 1",
        (result.conversation_id, result.originator_conversation_id),
    ).fetchone() or _unanswered_request(conn, result)
    if found is None:
        return None
    order = store.lock_order(conn, str(found["order_id"]))
    assert order is not None
    status = "done" if result.done else "failed"
    changed = conn.execute(
        "UPDATE refunds SET status = %s, result_code = %s, result_desc = %s,"
        " reversal_receipt = %s, completed_at = now() WHERE id = %s AND status = 'pending'"
        " RETURNING amount",
        (
            status,
            result.result_code,
            result.result_desc,
            result.reversal_receipt,
            found["id"],
        ),
    ).fetchone()
    if changed is None:
        current = conn.execute("SELECT status FROM refunds WHERE id = %s", (found["id"],))
        row = current.fetchone()
        return Applied(changed=False, status=str(row["status"]) if row else status, notice_for=None)
    notice_for = queue_notice(conn, order, Decimal(changed["amount"])) if result.done else None
    return Applied(changed=True, status=status, notice_for=notice_for)


def _unanswered_request(conn: Connection, result: ReversalResult) -> dict[str, Any] | None:
    """A request whose answer was lost has no ids: a result naming its receipt and amount is
    its, when exactly one such request is waiting."""
    if result.original_receipt is None or result.amount_kes is None:
        return None
    rows = conn.execute(
        "SELECT r.id, r.order_id FROM refunds r JOIN payments p ON p.id = r.payment_id"
        " WHERE p.receipt = %s AND r.amount = %s AND r.status = 'pending'"
        " AND r.method = 'reversal' AND r.conversation_id IS NULL",
        (result.original_receipt, result.amount_kes),
    ).fetchall()
    return rows[0] if len(rows) == 1 else None


def queue_notice(conn: Connection, order: Mapping[str, Any], amount: Decimal) -> str | None:
    """Tell the customer the money is on its way back; the conversation it waits in."""
    if order["conversation_id"] is None:
        return None
    row = conn.execute(
        "SELECT c.metadata->>'language' AS language, b.name AS shop FROM conversations c"
        " JOIN businesses b ON b.id = c.business_id WHERE c.id = %s",
        (order["conversation_id"],),
    ).fetchone()
    if row is None:
        return None
    language = "sw" if row["language"] == "sw" else "en"
    variables = {"1": str(row["shop"]), "2": kes(amount), "3": kes(order["amount"])}
    conversation_id = str(order["conversation_id"])
    queue_reply(
        conn,
        business_id=str(order["business_id"]),
        conversation_id=conversation_id,
        text=TEMPLATES[TEMPLATE].render(language, variables),
        role="system",
        metadata={
            "kind": TEMPLATE,
            "order_id": str(order["id"]),
            "proactive": True,
            "template": {**template_metadata(TEMPLATE, variables), "language": language},
        },
    )
    return conversation_id


def goods_came_back(conn: Connection, order_id: str, owner_phone: str) -> int | None:
    """Put the order's sold pieces back on the shelf, once; how many went back. None when the
    order is not visible; NotRefundable when already done or nothing was sold."""
    order = store.lock_order(conn, order_id)
    if order is None:
        return None
    sold = conn.execute(
        "SELECT product_id, size, quantity FROM stock_reservations"
        " WHERE order_id = %s AND state = 'committed' ORDER BY product_id, size",
        (order_id,),
    ).fetchall()
    if not sold:
        raise NotRefundable("Nothing of this order was sold, so no stock goes back.")
    recorded = conn.execute(
        "INSERT INTO returned_goods (order_id, business_id, pieces, recorded_by)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING order_id",
        (order_id, order["business_id"], sum(int(r["quantity"]) for r in sold), owner_phone),
    ).fetchone()
    if recorded is None:
        raise NotRefundable("The goods were already put back on the shelf: stock unchanged.")
    reservations.put_back(conn, sold)
    return sum(int(r["quantity"]) for r in sold)
