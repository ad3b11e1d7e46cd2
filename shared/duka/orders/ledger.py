"""The payments ledger: each M-Pesa payment received, once per receipt, against its order.

An order's money is the sum of the payments matched to it, never a count of callbacks: the
table's unique receipt (per boutique) and unique STK attempt make a second delivery of the same
payment, by whatever path, add nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from duka.db.pool import Connection
from duka.phone import mask_phone


def record_stk_payment(
    conn: Connection,
    *,
    attempt: Mapping[str, Any],
    gateway: str,
    receipt: str,
    amount: Decimal,
) -> bool:
    """Add the payment an STK push (`attempt`: its id and the number prompted) brought in,
    matched to the push's order. False when this receipt or this push is already in the ledger
    (nothing is added), or the push is not the current tenant's."""
    pay_phone = attempt.get("pay_phone")
    row = conn.execute(
        "INSERT INTO payments (business_id, order_id, attempt_id, gateway, receipt, amount,"
        " payer_phone_masked, matched_by)"
        " SELECT a.business_id, a.order_id, a.id, %s, %s, %s, %s, 'stk_push'"
        " FROM payment_attempts a WHERE a.id = %s"
        " ON CONFLICT DO NOTHING RETURNING id",
        (
            gateway,
            receipt,
            amount,
            mask_phone(str(pay_phone)) if pay_phone else None,
            str(attempt["id"]),
        ),
    ).fetchone()
    return row is not None


def received(conn: Connection, order_id: str) -> Decimal:
    """The sum of the payments matched to the order: each receipt once."""
    row = conn.execute(
        "SELECT COALESCE(sum(amount), 0) AS total FROM payments WHERE order_id = %s",
        (order_id,),
    ).fetchone()
    return Decimal(row["total"]) if row else Decimal(0)


def for_order(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    """The order's payments, oldest first, for the owner's order page."""
    return conn.execute(
        "SELECT receipt, amount, gateway, shortcode, payer_phone_masked, matched_by, paid_at"
        " FROM payments WHERE order_id = %s ORDER BY paid_at, created_at",
        (order_id,),
    ).fetchall()


def record_owner_payment(
    conn: Connection, *, order_id: str, receipt: str, amount: Decimal, gateway: str = "manual"
) -> bool:
    """Add a payment the owner confirmed by hand (Pochi la Biashara, a personal number: no API
    tells us; gateway 'cash' for cash the rider collected), matched to the order. False when
    the receipt is already in the ledger (nothing is added) or the order is not the current
    tenant's."""
    row = conn.execute(
        "INSERT INTO payments (business_id, order_id, gateway, receipt, amount, matched_by)"
        " SELECT o.business_id, o.id, %s, %s, %s, 'owner' FROM orders o WHERE o.id = %s"
        " ON CONFLICT DO NOTHING RETURNING id",
        (gateway, receipt, amount, order_id),
    ).fetchone()
    return row is not None


def receipt_order(conn: Connection, receipt: str) -> dict[str, Any] | None:
    """Where the tenant's ledger already has this receipt: its order (None: money with no
    order) and how it was matched; None when the receipt is not in the ledger."""
    return conn.execute(
        "SELECT order_id, matched_by FROM payments WHERE receipt = %s", (receipt,)
    ).fetchone()


def record_network_payment(
    conn: Connection,
    *,
    business_id: str,
    order_id: str | None,
    receipt: str,
    amount: Decimal,
    shortcode: str,
    matched_by: str,
    payer_phone: str | None = None,
) -> bool:
    """Add a payment M-Pesa reported to the shop's Till or Paybill (a C2B confirmation, or a
    Transaction Status result), matched to `order_id` or to no order yet. False when the
    receipt is already in the ledger (nothing is added)."""
    row = conn.execute(
        "INSERT INTO payments (business_id, order_id, gateway, shortcode, receipt, amount,"
        " payer_phone_masked, matched_by) VALUES (%s, %s, 'daraja', %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING RETURNING id",
        (
            business_id,
            order_id,
            shortcode,
            receipt,
            amount,
            _masked(payer_phone),
            matched_by,
        ),
    ).fetchone()
    return row is not None


def network_payment(conn: Connection, receipt: str) -> dict[str, Any] | None:
    """The tenant's ledger row for this receipt: its order, amount, shortcode and path."""
    return conn.execute(
        "SELECT id, order_id, amount, shortcode, gateway, matched_by FROM payments"
        " WHERE receipt = %s",
        (receipt,),
    ).fetchone()


def attach_to_order(conn: Connection, receipt: str, order_id: str) -> bool:
    """Match a stored payment that has no order yet to `order_id` (the customer pasted its
    code); False when it already belongs to an order."""
    row = conn.execute(
        "UPDATE payments SET order_id = %s, matched_by = 'c2b'"
        " WHERE receipt = %s AND order_id IS NULL RETURNING id",
        (order_id, receipt),
    ).fetchone()
    return row is not None


def _masked(phone: str | None) -> str | None:
    """Daraja may send the payer's MSISDN, or only a hash of it: mask a number, drop a hash."""
    if not phone or not phone.isdigit() or len(phone) > 15:
        return None
    return mask_phone("+" + phone if phone.startswith("254") else phone)
