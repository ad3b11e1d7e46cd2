"""Refunds on the order page (templates/orders/_refunds.html): what was received and refunded,
the owner's refund (reversed through M-Pesa, or recorded as sent by hand), and "goods came back"
(their stock goes back on the shelf once).

A reversal is only recorded here, with its `refund_requested` payment event: the dashboard holds
no payment secrets, so process_payment sends it to Daraja; the page shows its status."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.send_pending import send_pending_or_flash
from duka.db.pool import Connection
from duka.orders.payment_events import publish
from duka.orders.refunds import (
    STILL_PAYING,
    NotRefundable,
    goods_came_back,
    kes,
    payment_balances,
    refundable,
    request_refund,
    reversible,
)

bp = Blueprint("refunds", __name__, url_prefix="/dashboard/orders")


@bp.route("/<uuid:order_id>/refund", methods=["POST"])
def refund(order_id: UUID) -> Response:
    owner = current_owner()
    try:
        with owner_transaction() as conn:
            requested = request_refund(
                conn,
                str(order_id),
                amount=request.form.get("amount", ""),
                method=request.form.get("method", ""),
                reason=request.form.get("reason", ""),
                owner_phone=owner.phone,
            )
            if requested is not None:
                audit.record(
                    conn,
                    "order.refund",
                    "order",
                    order_id,
                    amount=requested.amount,
                    method=requested.method,
                )
    except NotRefundable as exc:
        flash(str(exc), "error")
        return _back(order_id)
    if requested is None:
        abort(404)
    if requested.method == "by_hand":
        if requested.notice_for is None or send_pending_or_flash(
            owner.business_id,
            requested.notice_for,
            not_sent="refund notice not sent yet",
            owner_told="Refund recorded. WhatsApp didn't answer: open the chat and press "
            "“Send again”.",
        ):
            flash(f"Refund of {kes(requested.amount)} recorded. The customer is told on WhatsApp.")
        return _back(order_id)
    publish(requested.event)  # a failed publish is left to the outbox relay
    flash(
        f"Refund of {kes(requested.amount)} sent to M-Pesa: the status below changes when "
        "M-Pesa answers."
    )
    return _back(order_id)


@bp.route("/<uuid:order_id>/goods-back", methods=["POST"])
def goods_back(order_id: UUID) -> Response:
    owner = current_owner()
    try:
        with owner_transaction() as conn:
            pieces = goods_came_back(conn, str(order_id), owner.phone)
            if pieces is not None:
                audit.record(conn, "order.goods_back", "order", order_id, pieces=pieces)
    except NotRefundable as exc:
        flash(str(exc), "error")
        return _back(order_id)
    if pieces is None:
        abort(404)
    flash(f"{pieces} piece(s) back on the shelf.")
    return _back(order_id)


def _back(order_id: UUID) -> Response:
    return redirect(url_for("orders.detail", order_id=order_id) + "#refunds")


def refund_panel(conn: Connection, order_id: str) -> dict[str, Any]:
    """What the order page shows: received, refunded, pending, what can still go back."""
    payments = payment_balances(conn, order_id)
    refunds = conn.execute(
        "SELECT r.amount, r.method, r.status, r.reason, r.result_desc, r.requested_at,"
        " r.completed_at, p.receipt FROM refunds r JOIN payments p ON p.id = r.payment_id"
        " WHERE r.order_id = %s ORDER BY r.requested_at DESC, p.receipt",
        (order_id,),
    ).fetchall()
    returned = conn.execute(
        "SELECT pieces, recorded_at FROM returned_goods WHERE order_id = %s", (order_id,)
    ).fetchone()
    total = {s: Decimal(0) for s in ("pending", "done")}
    for refund in refunds:
        if refund["status"] in total:
            total[refund["status"]] += Decimal(refund["amount"])
    return {
        "received": sum((Decimal(p["amount"]) for p in payments), Decimal(0)),
        "refunded": total["done"],
        "pending": total["pending"],
        "left": refundable(payments),
        "reversible_left": refundable([p for p in payments if reversible(p)]),
        "hand_only_payments": any(not reversible(p) for p in payments),
        "refunds": refunds,
        "returned": returned,
        "still_paying": STILL_PAYING,
    }
