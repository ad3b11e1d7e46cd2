"""Order status rules: payment moves pending -> paid / failed / cancelled / expired (a failed
order may be retried as a new attempt); fulfilment moves pending -> shipped -> delivered, only
once paid. The database trigger `orders_transition` (migration 006) enforces both for every
writer, so a wrong update fails with a CheckViolation whatever code sends it."""

from __future__ import annotations

from duka.db.pool import tenant_transaction
from duka.errors import NotFound, Rejected
from duka.orders import reservations, store

PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"paid", "failed", "cancelled", "expired", "layaway"}),
    "failed": frozenset({"pending"}),  # a retry, as the next attempt
    "paid": frozenset(),
    "cancelled": frozenset(),
    "expired": frozenset(),
    "layaway": frozenset({"paid", "lapsed"}),  # lipa pole pole (migration 023)
    "lapsed": frozenset(),
}


class InvalidTransition(Rejected):
    """Input the owner (or the model) can fix: the order is not in a state that allows this."""


class OrderNotFound(NotFound):
    pass


def cancel_order(business_id: str, order_id: str) -> None:
    """Cancel an order still waiting for payment and put its stock back."""
    with tenant_transaction(business_id) as conn:
        order = store.lock_order(conn, order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if "cancelled" not in PAYMENT_TRANSITIONS[order["status"]]:
            raise InvalidTransition(f"a {order['status']} order cannot be cancelled")
        store.end_order(conn, order_id, "cancelled", None)
        reservations.release(conn, order_id)
