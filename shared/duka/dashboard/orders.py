"""Orders: the filtered table, one order's details, and fulfilment updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from duka.dashboard import audit, fulfilment
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.formatting import FULFILMENT_LABELS, NAIROBI, PAYMENT_LABELS
from duka.dashboard.refunds import refund_panel
from duka.dashboard.send_pending import send_pending_or_flash
from duka.db.pool import Connection
from duka.delivery import quotes
from duka.orders import ledger, manual_pay
from duka.orders.owner_payments import NotConfirmable, confirm_cash, confirm_payment
from duka.orders.payment_events import publish
from duka.orders.resolution import Decision, NotDecidable, decide_flagged

bp = Blueprint("orders", __name__, url_prefix="/dashboard/orders")

PAGE_SIZE = 50


@dataclass(frozen=True)
class OrderFilters:
    payment: str = ""
    fulfilment: str = ""
    since: date | None = None
    until: date | None = None
    query: str = ""

    @classmethod
    def from_args(cls, args: Any) -> OrderFilters:
        return cls(
            payment=args.get("payment", "") if args.get("payment") in PAYMENT_LABELS else "",
            fulfilment=(
                args.get("fulfilment", "") if args.get("fulfilment") in FULFILMENT_LABELS else ""
            ),
            since=_date(args.get("from")),
            until=_date(args.get("to")),
            query=args.get("q", "").strip(),
        )


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def filter_clause(filters: OrderFilters) -> tuple[str, list[Any]]:
    """The WHERE condition (over orders `o` joined to conversations `c`) and its parameters."""
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if filters.payment:
        where.append("o.status = %s")
        params.append(filters.payment)
    if filters.fulfilment:
        where.append("o.fulfillment_status = %s")
        params.append(filters.fulfilment)
    if filters.since:
        where.append("o.created_at >= %s")
        params.append(datetime.combine(filters.since, time(), NAIROBI))
    if filters.until:
        where.append("o.created_at < %s")
        params.append(datetime.combine(filters.until + timedelta(days=1), time(), NAIROBI))
    if filters.query:
        where.append(
            "(o.customer_phone ILIKE %s OR o.mpesa_reference ILIKE %s"
            " OR o.transaction_id ILIKE %s OR c.customer_name ILIKE %s)"
        )
        params.extend([f"%{filters.query}%"] * 4)
    return " AND ".join(where), params


def list_orders(conn: Connection, filters: OrderFilters, page: int) -> list[dict[str, Any]]:
    where, params = filter_clause(filters)
    return conn.execute(
        "SELECT o.id, o.created_at, o.amount, o.status, o.fulfillment_status, o.customer_phone,"
        " o.mpesa_reference, o.transaction_id, o.flagged, o.flag_reason, o.flag_resolution,"
        " o.pay_on_delivery, c.customer_name,"
        " (SELECT COALESCE(sum(quantity), 0) FROM order_items i WHERE i.order_id = o.id) AS units"
        " FROM orders o LEFT JOIN conversations c ON c.id = o.conversation_id"
        f" WHERE {where} ORDER BY o.created_at DESC LIMIT %s OFFSET %s",
        (*params, PAGE_SIZE + 1, page * PAGE_SIZE),
    ).fetchall()


def order_details(conn: Connection, order_id: UUID) -> dict[str, Any] | None:
    order = conn.execute(
        "SELECT o.*, c.customer_name, c.id AS conversation FROM orders o"
        " LEFT JOIN conversations c ON c.id = o.conversation_id WHERE o.id = %s",
        (order_id,),
    ).fetchone()
    if order is None:
        return None
    items = conn.execute(
        "SELECT product_id, sku, name, size, color, quantity, unit_price, line_total"
        " FROM order_items WHERE order_id = %s ORDER BY name",
        (order_id,),
    ).fetchall()
    payments = ledger.for_order(conn, str(order_id))
    received = sum((p["amount"] for p in payments), Decimal(0))
    balance = max(Decimal(order["amount"]) - received, Decimal(0))
    return {
        **order,
        "lines": items or list(order["items"] or []),
        "payments": payments,
        "received": received,
        "refunds": refund_panel(conn, str(order_id)),
        # Prefills the owner's "paid, code …" amount: 1800, 99.5
        "balance_input": f"{balance.normalize():f}" if balance else "",
    }


@bp.route("")
def index() -> str:
    filters = OrderFilters.from_args(request.args)
    page = max(0, request.args.get("page", 0, type=int))
    with owner_transaction() as conn:
        rows = list_orders(conn, filters, page)
        delivery_quotes = quotes.open_quotes(conn)  # places waiting for the owner's fee
    return render_template(
        "orders/list.html",
        orders=rows[:PAGE_SIZE],
        filters=filters,
        page=page,
        has_more=len(rows) > PAGE_SIZE,
        delivery_quotes=delivery_quotes,
        page_url=lambda n: url_for(".index", **{**request.args.to_dict(), "page": n}),
    )


@bp.route("/<uuid:order_id>")
def detail(order_id: UUID) -> str:
    with owner_transaction() as conn:
        order = order_details(conn, order_id)
    if order is None:
        abort(404)
    return render_template("orders/detail.html", order=order)


@bp.route("/<uuid:order_id>/fulfilment", methods=["POST"])
def update_fulfilment(order_id: UUID) -> Response:
    owner = current_owner()
    target = request.form.get("status", "")
    try:
        with owner_transaction() as conn:
            update = fulfilment.advance_fulfilment(
                conn,
                owner.business_id,
                order_id,
                target,
                courier=request.form.get("courier"),
                tracking=request.form.get("tracking"),
            )
            if update is not None and update.changed:
                audit.record(
                    conn,
                    "order.fulfilment",
                    "order",
                    order_id,
                    status=target,
                    courier=request.form.get("courier") or None,
                    tracking=request.form.get("tracking") or None,
                )
    except fulfilment.FulfilmentNotAllowed as exc:
        flash(str(exc), "error")
        return redirect(url_for(".detail", order_id=order_id))
    if update is None:
        abort(404)
    if not update.changed:
        flash(f"Already {FULFILMENT_LABELS.get(target, target).lower()}: nothing sent again.")
    elif update.conversation_id:
        _send_notice(owner.business_id, update.conversation_id)
    return redirect(url_for(".detail", order_id=order_id))


DECIDED = {
    Decision.ACCEPT: "Payment accepted: the order is paid. The customer is told on WhatsApp.",
    Decision.CANCEL: "Order cancelled and its stock released. The customer is told on WhatsApp.",
}


@bp.route("/<uuid:order_id>/flagged", methods=["POST"])
def decide(order_id: UUID) -> Response:
    """The owner accepts a flagged payment or cancels the order (releasing its stock)."""
    owner = current_owner()
    try:
        decision = Decision(request.form.get("decision", ""))
    except ValueError:
        abort(400)
    try:
        with owner_transaction() as conn:
            decided = decide_flagged(conn, owner.business_id, str(order_id), decision)
            if decided is not None and decided.changed:
                audit.record(conn, "order.flag_decided", "order", order_id, decision=decision.value)
    except NotDecidable as exc:
        flash(str(exc), "error")
        return redirect(url_for(".detail", order_id=order_id))
    if decided is None:
        abort(404)
    publish(decided.queued)  # process_payment tells the customer, once
    flash(DECIDED[decision] if decided.changed else "Already done: nothing changed.")
    return redirect(url_for(".detail", order_id=order_id))


@bp.route("/<uuid:order_id>/payment", methods=["POST"])
def record_payment(order_id: UUID) -> Response:
    """The owner saw the M-Pesa SMS (Pochi la Biashara, a personal number): "paid, code …"."""
    owner = current_owner()
    try:
        with owner_transaction() as conn:
            confirmed = confirm_payment(
                conn,
                owner.business_id,
                str(order_id),
                code=request.form.get("code", ""),
                amount=request.form.get("amount", ""),
            )
            if confirmed is not None:
                audit.record(
                    conn, "order.payment_recorded", "order", order_id, receipt=confirmed.receipt
                )
    except NotConfirmable as exc:
        flash(str(exc), "error")
        return redirect(url_for(".detail", order_id=order_id))
    if confirmed is None:
        abort(404)
    publish(confirmed.queued)  # process_payment tells the customer, once
    if confirmed.paid:
        flash(
            f"Payment {confirmed.receipt} recorded: the order is paid."
            " The customer is told on WhatsApp."
        )
    else:
        flash(
            f"Payment {confirmed.receipt} recorded: KES {confirmed.received:,.0f} of"
            f" KES {confirmed.total:,.0f} received, KES {confirmed.balance:,.0f} still due."
            + (" The customer is told the balance on WhatsApp." if confirmed.queued else "")
        )
    return redirect(url_for(".detail", order_id=order_id))


@bp.route("/<uuid:order_id>/cash", methods=["POST"])
def record_cash(order_id: UUID) -> Response:
    """The rider collected the cash for a pay-on-delivery order: its balance, recorded."""
    owner = current_owner()
    try:
        with owner_transaction() as conn:
            confirmed = confirm_cash(conn, owner.business_id, str(order_id))
            if confirmed is not None:
                audit.record(
                    conn,
                    "order.cash_recorded",
                    "order",
                    order_id,
                    receipt=confirmed.receipt,
                    amount=str(confirmed.received),
                )
    except NotConfirmable as exc:
        flash(str(exc), "error")
        return redirect(url_for(".detail", order_id=order_id))
    if confirmed is None:
        abort(404)
    publish(confirmed.queued)  # process_payment tells the customer, once
    flash(
        f"Cash of KES {confirmed.total:,.0f} recorded: the order is paid."
        " The customer is told on WhatsApp."
    )
    return redirect(url_for(".detail", order_id=order_id))


@bp.route("/<uuid:order_id>/cancel-on-delivery", methods=["POST"])
def cancel_on_delivery(order_id: UUID) -> Response:
    """Not paid on delivery after all (refused at the door): cancelled, its stock released."""
    with owner_transaction() as conn:
        if conn.execute("SELECT 1 FROM orders WHERE id = %s", (order_id,)).fetchone() is None:
            abort(404)
        cancelled = manual_pay.cancel_on_delivery(conn, str(order_id))
        if cancelled:
            audit.record(conn, "order.pod_cancelled", "order", order_id)
    if cancelled:
        flash("Order cancelled and its items put back on the shelf.")
    else:
        flash("Only an unpaid pay-on-delivery order can be cancelled here.", "error")
    return redirect(url_for(".detail", order_id=order_id))


def _send_notice(business_id: str, conversation_id: str) -> None:
    if send_pending_or_flash(
        business_id,
        conversation_id,
        not_sent="fulfilment notice not sent yet",
        owner_told="Updated. WhatsApp didn't answer: open the chat and press “Send again”.",
    ):
        flash("Updated, and the customer was told on WhatsApp.")
