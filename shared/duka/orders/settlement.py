"""After a payment enters the ledger: is the order now paid?

One rule for every way money arrives (an STK result, a Till or Paybill code, the owner's
record of a Pochi payment): the order is paid when the payments matched to it, each receipt
once, cover its total. Paying it sells the reserved stock and empties the cart. A payment that
does not cover a layaway plan (`duka.orders.layaway`) keeps it open as 'layaway'. A paid order
records what brought it (`duka.orders.attribution`). The caller holds the order's row lock, runs
this in the transaction that added the payment, and tells the customer (payment-events) when
`paid`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from duka.db.pool import Connection
from duka.orders import attribution, layaway, ledger, reservations, store

# Orders money may settle: open for payment, or a running layaway plan (pending → layaway → paid).
PAYABLE = ("pending", "layaway")


@dataclass(frozen=True)
class Settlement:
    paid: bool  # the payments now cover the total and the order was marked paid
    received: Decimal
    total: Decimal
    layaway: bool = False  # not covered, and the order is a running layaway plan

    @property
    def balance(self) -> Decimal:
        return max(self.total - self.received, Decimal(0))


def settle(
    conn: Connection,
    order: Mapping[str, Any],
    *,
    transaction_id: str | None,
    mpesa_reference: str | None = None,
) -> Settlement:
    """Mark the (locked, pending or layaway) order paid if its payments now cover its total."""
    order_id = str(order["id"])
    total = Decimal(order["amount"])
    received = ledger.received(conn, order_id)
    if received < total:
        on_plan = layaway.hold(conn, order)
        return Settlement(paid=False, received=received, total=total, layaway=on_plan)
    store.mark_paid(conn, order_id, transaction_id=transaction_id, mpesa_reference=mpesa_reference)
    attribution.attribute(conn, order_id)
    reservations.commit(conn, order_id)
    # A plan's cart was emptied when its deposit came in; the chat may hold a new one now.
    if order["conversation_id"] is not None and order["status"] != "layaway":
        store.clear_cart(conn, str(order["conversation_id"]))
    return Settlement(paid=True, received=received, total=total)
