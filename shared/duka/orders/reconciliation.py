"""A day's reconciliation: every payment the ledger received that day (Nairobi time) against
the orders it paid, the money that matched no order, and the orders paid by more than one
payment. Read under RLS, so a boutique only ever sees its own money.

One query serves both faces: `duka payments report` and the dashboard's payments page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from duka.db.pool import Connection


@dataclass(frozen=True)
class ReportPayment:
    receipt: str
    paid_at: datetime
    amount: Decimal
    payer: str | None  # masked: +254******678
    gateway: str
    matched_by: str
    order_id: str | None  # None: money with no order
    order_amount: Decimal | None
    order_status: str | None
    order_payments: int  # every payment matched to the order, on any day
    order_received: Decimal  # their sum


@dataclass(frozen=True)
class SplitOrder:
    """An order paid by more than one payment (a partial payment topped up, or an overpayment)."""

    order_id: str
    amount: Decimal
    payments: int
    received: Decimal


@dataclass(frozen=True)
class DayReport:
    day: date
    payments: list[ReportPayment]

    @property
    def unmatched(self) -> list[ReportPayment]:
        return [p for p in self.payments if p.order_id is None]

    @property
    def split_orders(self) -> list[SplitOrder]:
        """Orders with a payment this day and more than one payment in all, first paid first."""
        seen: dict[str, SplitOrder] = {}
        for p in self.payments:
            if p.order_id and p.order_payments > 1 and p.order_id not in seen:
                seen[p.order_id] = SplitOrder(
                    p.order_id, p.order_amount or Decimal(0), p.order_payments, p.order_received
                )
        return list(seen.values())

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    @property
    def total_unmatched(self) -> Decimal:
        return sum((p.amount for p in self.unmatched), Decimal(0))

    @property
    def total_matched(self) -> Decimal:
        return self.total - self.total_unmatched

    @property
    def orders(self) -> int:
        """How many orders the day's payments went to."""
        return len({p.order_id for p in self.payments if p.order_id})


def day_report(conn: Connection, day: date) -> DayReport:
    """The current tenant's payments received on `day` (Nairobi), oldest first."""
    rows = conn.execute(
        "SELECT p.receipt, p.paid_at, p.amount, p.payer_phone_masked, p.gateway, p.matched_by,"
        " p.order_id, o.amount AS order_amount, o.status AS order_status,"
        " (SELECT count(*) FROM payments q WHERE q.order_id = p.order_id) AS order_payments,"
        " (SELECT COALESCE(sum(q.amount), 0) FROM payments q WHERE q.order_id = p.order_id)"
        " AS order_received"
        " FROM payments p LEFT JOIN orders o ON o.id = p.order_id"
        " WHERE p.paid_at >= (%s::date)::timestamp AT TIME ZONE 'Africa/Nairobi'"
        " AND p.paid_at < (%s::date + 1)::timestamp AT TIME ZONE 'Africa/Nairobi'"
        " ORDER BY p.paid_at, p.created_at, p.receipt",
        (day, day),
    ).fetchall()
    return DayReport(
        day,
        [
            ReportPayment(
                receipt=r["receipt"],
                paid_at=r["paid_at"],
                amount=Decimal(r["amount"]),
                payer=r["payer_phone_masked"],
                gateway=r["gateway"],
                matched_by=r["matched_by"],
                order_id=str(r["order_id"]) if r["order_id"] else None,
                order_amount=Decimal(r["order_amount"]) if r["order_amount"] is not None else None,
                order_status=r["order_status"],
                order_payments=int(r["order_payments"]),
                order_received=Decimal(r["order_received"]),
            )
            for r in rows
        ],
    )
