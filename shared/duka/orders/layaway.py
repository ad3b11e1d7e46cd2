"""Lipa pole pole (layaway): the shop's terms, the deposit rule, and an order's plan.

A plan is an order with `layaway_due_at` set. Its first M-Pesa prompt asks for the deposit (at
least the shop's minimum percentage of the total, at most the total); once the deposit is in,
the order is 'layaway' and its stock stays reserved until the term ends. Each further payment
is one more prompt on the same order (`duka.orders.instalments`), and `settlement.settle` pays
the order when its payments cover the total. Amounts always come from here, never from chat.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from duka.db.pool import Connection
from duka.orders import ledger, store

POLICIES = ("keep", "refund", "store_credit")  # what happens to a lapsed plan's deposit
DEFAULTS: dict[str, Any] = {
    "enabled": False,
    "min_deposit_percent": 30,
    "term_days": 30,
    "reminder_every_days": 7,
    "deposit_policy": "store_credit",
}


@dataclass(frozen=True)
class Terms:
    min_deposit_percent: int
    term_days: int
    reminder_every_days: int
    deposit_policy: str

    def minimum_deposit(self, total: Decimal | int) -> int:
        """The least first payment, whole shillings rounded up; never more than the total."""
        whole = int(Decimal(total).to_integral_value(rounding="ROUND_CEILING"))
        least = math.ceil(Decimal(total) * self.min_deposit_percent / 100)
        return min(max(least, 1), whole)

    def deposit(self, total: Decimal | int, asked: int | None) -> int:
        """The deposit to prompt for: what the customer named, within [minimum, total]."""
        least = self.minimum_deposit(total)
        if asked is None:
            return least
        whole = int(Decimal(total).to_integral_value(rounding="ROUND_CEILING"))
        return min(max(asked, least), whole)


def terms_for(business_settings: Mapping[str, Any] | None) -> Terms | None:
    """The shop's layaway terms, or None while the owner has not turned layaway on."""
    raw = {**DEFAULTS, **((business_settings or {}).get("layaway") or {})}
    if not raw.get("enabled"):
        return None
    return Terms(
        min_deposit_percent=int(raw["min_deposit_percent"]),
        term_days=int(raw["term_days"]),
        reminder_every_days=int(raw["reminder_every_days"]),
        deposit_policy=str(raw["deposit_policy"]),
    )


def excluded_products(conn: Connection, product_ids: Sequence[str]) -> list[str]:
    """Names of the products the owner left out of layaway."""
    if not product_ids:
        return []
    rows = conn.execute(
        "SELECT name FROM products WHERE id = ANY(%s::uuid[]) AND NOT layaway ORDER BY name",
        (list(product_ids),),
    ).fetchall()
    return [str(row["name"]) for row in rows]


def set_plan(
    conn: Connection, order_id: str, terms: Terms | None, deposit: int, now: datetime
) -> None:
    """Make the order a plan with these terms (from now), or a plain order (`terms` None):
    a failed order reopened by a new checkout takes the terms of that checkout."""
    if terms is None:
        conn.execute(
            "UPDATE orders SET layaway_deposit = NULL, layaway_due_at = NULL,"
            " layaway_reminder_days = NULL WHERE id = %s",
            (order_id,),
        )
        return
    conn.execute(
        "UPDATE orders SET layaway_deposit = %s, layaway_due_at = %s,"
        " layaway_reminder_days = %s WHERE id = %s",
        (deposit, now + timedelta(days=terms.term_days), terms.reminder_every_days, order_id),
    )


def is_plan(order: Mapping[str, Any]) -> bool:
    return order.get("layaway_due_at") is not None


def hold(conn: Connection, order: Mapping[str, Any]) -> bool:
    """A payment that does not cover a plan's total: the (locked) order is, or now becomes,
    'layaway' — its stock stays held and its cart is emptied (the items are in the order).
    False for an order that is not an open plan (the caller flags the payment)."""
    if not is_plan(order):
        return False
    if order["status"] == "layaway":
        return True
    if order["status"] != "pending":
        return False
    conn.execute(
        "UPDATE orders SET status = 'layaway', updated_at = now(),"
        " layaway_next_reminder_at = now() + make_interval(days => layaway_reminder_days)"
        " WHERE id = %s",
        (str(order["id"]),),
    )
    if order["conversation_id"] is not None:
        store.clear_cart(conn, str(order["conversation_id"]))
    return True


@dataclass(frozen=True)
class Plan:
    order_id: str
    status: str  # pending (deposit not in yet), layaway, paid, lapsed
    total: Decimal
    received: Decimal
    due_at: datetime
    pay_phone: str | None

    @property
    def balance(self) -> Decimal:
        return max(self.total - self.received, Decimal(0))


def plan_of(conn: Connection, order: Mapping[str, Any]) -> Plan:
    return Plan(
        order_id=str(order["id"]),
        status=str(order["status"]),
        total=Decimal(order["amount"]),
        received=ledger.received(conn, str(order["id"])),
        due_at=order["layaway_due_at"],
        pay_phone=order.get("pay_phone"),
    )


def running_plan(conn: Connection, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's plan still taking payments (deposit in, balance open): a Till code
    or the owner's record of a payment may pay into it like an instalment prompt."""
    return conn.execute(
        "SELECT * FROM orders WHERE conversation_id = %s AND status = 'layaway' AND NOT flagged"
        " ORDER BY created_at DESC LIMIT 1",
        (conversation_id,),
    ).fetchone()


def current_plan(conn: Connection, conversation_id: str) -> Plan | None:
    """The conversation's newest plan that is still running, else its newest plan at all."""
    order = conn.execute(
        "SELECT * FROM orders WHERE conversation_id = %s AND layaway_due_at IS NOT NULL"
        " AND status IN ('pending', 'layaway', 'paid', 'lapsed')"
        " ORDER BY status = 'layaway' DESC, created_at DESC LIMIT 1",
        (conversation_id,),
    ).fetchone()
    return None if order is None else plan_of(conn, order)
