"""The owner confirms a payment by hand: "paid, code …" on an unpaid order's page.

For Pochi la Biashara or a personal number no API reports the money, so the owner, having seen
the M-Pesa SMS, types its code and amount. The payment goes into the ledger like any other
(`duka.orders.ledger`, matched_by 'owner'), and the same rule decides: the order is paid only
when the payments matched to it cover its total. A code already in the boutique's ledger, by
whatever path, is refused and counted nowhere. The whole step runs under the order's row lock
in the caller's transaction, so a double tap records the code once and tells the customer once
(through payment-events, like every payment outcome). An order paid on delivery may instead be
recorded as cash the rider collected: its balance, gateway 'cash', by the same rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

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
    return _settled(conn, business_id, order, receipt)


def confirm_cash(conn: Connection, business_id: str, order_id: str) -> Confirmed | None:
    """Record the balance of a pay-on-delivery order as cash the rider collected, through the
    same ledger and rule as a typed code (the order is then paid); None when the order is not
    visible. Raises NotConfirmable when nothing can be recorded (a second tap, say)."""
    order = store.lock_order(conn, order_id)
    if order is None:
        return None
    if order["status"] == "paid":
        raise NotConfirmable("Already paid: nothing recorded again.")
    if order["status"] not in PAYABLE:
        raise NotConfirmable("Only an unpaid, open order can take a payment.")
    if not order["pay_on_delivery"]:
        raise NotConfirmable("Cash is recorded here only for pay-on-delivery orders.")
    if order["flagged"]:
        raise NotConfirmable(
            "This order's payment needs checking first: accept it or cancel the order."
        )
    balance = Decimal(order["amount"]) - ledger.received(conn, order_id)
    if balance <= 0:
        raise NotConfirmable("Nothing is due on this order.")
    counted = len(ledger.for_order(conn, order_id))
    receipt = f"CASH-{order_id.replace('-', '')[:10].upper()}-{counted + 1}"
    if not ledger.record_owner_payment(
        conn, order_id=order_id, receipt=receipt, amount=balance, gateway="cash"
    ):
        raise NotConfirmable(_already_counted(conn, order_id, receipt))
    return _settled(conn, business_id, order, receipt)


def _settled(
    conn: Connection, business_id: str, order: Mapping[str, Any], receipt: str
) -> Confirmed:
    """The order settled after the payment went in; the customer's notice queued when it is
    paid or a plan's instalment."""
    order_id = str(order["id"])
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
