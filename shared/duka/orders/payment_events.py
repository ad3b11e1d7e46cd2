"""payment-events: written to the outbox in the transaction that changed the order, then
published at once; if publishing fails, the sweep job's outbox relay publishes it later."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from psycopg.types.json import Jsonb

from duka import publishing
from duka.db.pool import Connection, transaction
from duka.store import outbox


class PaymentEvent(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    FLAGGED = "flagged"
    CANCELLED = "cancelled"  # the owner cancelled a flagged order (duka.orders.resolution)
    LAYAWAY_PAYMENT = "layaway_payment"  # a layaway plan received a payment, a balance remains
    # The owner asked for refunds through M-Pesa: process_payment, which holds the payment
    # secrets, sends the reversals named by the payload's "refund_ids" (duka.orders.reversals).
    REFUND_REQUESTED = "refund_requested"


@dataclass(frozen=True)
class QueuedEvent:
    outbox_id: int
    payload: dict[str, Any]


def enqueue(
    conn: Connection,
    *,
    business_id: str,
    order_id: str,
    attempt: int,
    event: PaymentEvent,
    refund_ids: Sequence[str] = (),
) -> QueuedEvent:
    payload: dict[str, Any] = {
        "business_id": business_id,
        "order_id": order_id,
        "attempt": attempt,
        "event": event.value,
    }
    if refund_ids:
        payload["refund_ids"] = list(refund_ids)
    row = conn.execute(
        "INSERT INTO outbox (business_id, topic, payload) VALUES (%s, %s, %s) RETURNING id",
        (business_id, publishing.PAYMENT_EVENTS, Jsonb(payload)),
    ).fetchone()
    assert row is not None
    return QueuedEvent(int(row["id"]), payload)


def publish(queued: QueuedEvent | None) -> None:
    """Publish a committed event now; a failure is left to the outbox relay."""
    if queued is None:
        return
    if not publishing.publish_or_defer(
        publishing.PAYMENT_EVENTS,
        queued.payload,
        level=logging.WARNING,
        deferred="payment event not published; the outbox relay will retry",
    ):
        return
    with transaction() as conn:
        outbox.mark_published(conn, [queued.outbox_id])
