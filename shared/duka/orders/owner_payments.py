"""The owner confirms a payment by hand: "paid, code …" on an unpaid order's page.

For Pochi la Biashara or a personal number no API reports the money, so the owner, having seen
the M-Pesa SMS, types its code and amount. The payment goes into the ledger like any other
(`duka.orders.ledger`, matched_by 'owner'), and the same rule decides: the order is paid only
when the payments matched to it cover its total. A code already in the boutique's ledger, by
whatever path, is refused and counted nowhere. The whole step runs under the order's row lock
in the caller's transaction, so a double tap records the code once and tells the customer once
(through payment-events, like every payment outcome).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from duka.db.pool import Connection
from duka.errors import Rejected
from duka.orders import ledger, store
from duka.orders.payment_events import PaymentEvent, QueuedEvent, enqueue
from duka.orders.settlement import PAYABLE, settle

# An M-Pesa transaction code: ten capital letters and digits, e.g. QFT4ABCDE1.
_RECEIPT = re.compile(r"[A-Z0-9]{10}")
_MAX_AMOUNT = Decimal("10000000")


class NotConfirmable(Rejected):
    """The payment cannot be recorded (message for the owner)."""


@dataclass(frozen=True)
class Confirmed:
    receipt: str
    paid: bool  # the order's payments now cover its total
    received: Decimal
    total: Decimal
    queued: QueuedEvent | None  # the customer's notice, to publish after commit

    @property
    def balance(self) -> Decimal:
        return max(self.total - self.received, Decimal(0))


def _receipt(raw: str) -> str:
    """The code as the ledger stores it: spaces dropped, capitals."""
    receipt = re.sub(r"\s+", "", raw).upper()
    if not _RECEIPT.fullmatch(receipt):
        raise NotConfirmable(
            "An M-Pesa code is 10 letters and digits, like QFT4ABCDE1: check the SMS."
        )
    return receipt


def _amount(raw: str) -> Decimal:
    cleaned = re.sub(r"(?i)^\s*(kes|ksh)\.?\s*", "", raw).replace(",", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = Decimal(0)
    if not amount.is_finite() or amount <= 0 or amount >= _MAX_AMOUNT:
        raise NotConfirmable("Enter the amount the M-Pesa SMS shows, in shillings, e.g. 2800.")
    return amount.quantize(Decimal("0.01"))


def confirm_payment(
    conn: Connection, business_id: str, order_id: str, *, code: str, amount: str
) -> Confirmed | None:
    """Record the payment the owner typed (the SMS's code and amount) against the order; None
    when the order is not visible (another boutique's, or no such order). Raises NotConfirmable
    when it cannot count."""
    order = store.lock_order(conn, order_id)
    if order is None:
        return None
    receipt, received_now = _receipt(code), _amount(amount)
    if order["status"] not in PAYABLE:
        if ledger.receipt_order(conn, receipt) is not None:  # a second tap, say
            raise NotConfirmable(_already_counted(conn, order_id, receipt))
        raise NotConfirmable("Only an unpaid, open order or a running layaway can take a payment.")
    if order["flagged"]:
        raise NotConfirmable(
            "This order's payment needs checking first: accept it or cancel the order."
        )
    if not ledger.record_owner_payment(
        conn, order_id=order_id, receipt=receipt, amount=received_now
    ):
        raise NotConfirmable(_already_counted(conn, order_id, receipt))
    settled = settle(conn, order, transaction_id=receipt)
    if not settled.paid and not settled.layaway:
        return Confirmed(
            receipt, paid=False, received=settled.received, total=settled.total, queued=None
        )
    # A plan's instalment is told ("received X, balance Y") like one that came by M-Pesa prompt.
    queued = enqueue(
        conn,
        business_id=business_id,
        order_id=order_id,
        attempt=int(order["attempt"]),
        event=PaymentEvent.PAID if settled.paid else PaymentEvent.LAYAWAY_PAYMENT,
    )
    return Confirmed(
        receipt, paid=settled.paid, received=settled.received, total=settled.total, queued=queued
    )


def _already_counted(conn: Connection, order_id: str, receipt: str) -> str:
    where = ledger.receipt_order(conn, receipt)
    counted_for = where["order_id"] if where else None
    if counted_for is None:
        place = "in your payments"
    elif str(counted_for) == order_id:
        place = "for this order"
    else:
        place = f"for order ref {str(counted_for)[:8]}"
    return f"M-Pesa code {receipt} is already recorded {place}: it was not counted again."
