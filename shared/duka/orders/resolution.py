"""The owner's decision on a flagged order: accept the payment, or cancel and release the stock.

A payment is flagged when M-Pesa reported another amount than the order's, or paid an attempt
that had already closed (`duka.orders.callbacks`). The order then waits for the owner: the
reconciler neither queries nor expires it, and it no longer counts as the conversation's open
order, so the customer can check out a new cart. Its stock stays held until the owner decides
here. Only a flagged order still pending can be decided; the decision is taken under the order's
row lock, so a double click or a retried request changes nothing the second time. The customer
is told through payment-events, like any other payment outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from duka.db.pool import Connection
from duka.errors import Rejected
from duka.orders import reservations, store
from duka.orders.payment_events import PaymentEvent, QueuedEvent, enqueue


class Decision(StrEnum):
    ACCEPT = "accept"
    CANCEL = "cancel"


_RESOLUTION = {Decision.ACCEPT: "accepted", Decision.CANCEL: "cancelled"}
_EVENT = {Decision.ACCEPT: PaymentEvent.PAID, Decision.CANCEL: PaymentEvent.CANCELLED}
_ALREADY = {
    "accepted": "You already accepted this payment: the order is paid.",
    "cancelled": "You already cancelled this order.",
}


class NotDecidable(Rejected):
    """The order is not a flagged one waiting for the owner (message for the owner)."""


@dataclass(frozen=True)
class Decided:
    changed: bool  # False: the same decision was already taken (nothing happens twice)
    queued: QueuedEvent | None  # the customer's notice, to publish after commit


def decide_flagged(
    conn: Connection, business_id: str, order_id: str, decision: Decision
) -> Decided | None:
    """Apply the owner's decision in the caller's transaction; None when the order is not
    visible (another boutique's, or no such order)."""
    order = store.lock_order(conn, order_id)
    if order is None:
        return None
    if order["flag_resolution"] == _RESOLUTION[decision]:
        return Decided(changed=False, queued=None)
    if order["flag_resolution"] is not None:
        raise NotDecidable(_ALREADY[order["flag_resolution"]])
    if not order["flagged"] or order["status"] != "pending":
        raise NotDecidable(
            "Only an order whose payment needs checking, still open, can be decided."
        )
    payment = store.flagged_payment(conn, order_id)
    received = None if payment is None else payment["amount_received"]
    if decision is Decision.ACCEPT:
        store.accept_flagged(
            conn,
            order_id,
            amount_received=received,
            transaction_id=None if payment is None else payment["transaction_id"],
            mpesa_reference=None if payment is None else payment["mpesa_reference"],
        )
        reservations.commit(conn, order_id)
    else:
        store.cancel_flagged(conn, order_id, amount_received=received)
        reservations.release(conn, order_id)
    queued = enqueue(
        conn,
        business_id=business_id,
        order_id=order_id,
        attempt=int(order["attempt"]),
        event=_EVENT[decision],
    )
    return Decided(changed=True, queued=queued)
