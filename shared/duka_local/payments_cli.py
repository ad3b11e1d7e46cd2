"""`duka payments report --date YYYY-MM-DD --business +2547…`: a day's payments against orders;
`duka payments c2b-register --business +2547…`: Daraja told where the shop's Till/Paybill
payments go."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from typing import Any

from duka.dashboard.formatting import NAIROBI, kes
from duka.db.pool import tenant_transaction, transaction
from duka.errors import DukaError
from duka.orders import till_notices
from duka.orders.reconciliation import DayReport, day_report
from duka.phone import InvalidPhoneNumber, normalize_kenyan_phone
from duka.store.businesses import UnknownBusiness, require_business_id_for_whatsapp
from duka_local.stack.attach import use_stack_env

COLUMNS = ("Time", "Receipt", "From", "Amount", "Order", "Order total", "Note")


def _short(order_id: str | None) -> str:
    return order_id[:8] if order_id else "—"


def render(report: DayReport, business: str) -> str:
    """The report as plain text: one line per payment, then the exceptions and the totals."""
    rows = [
        (
            p.paid_at.astimezone(NAIROBI).strftime("%H:%M"),
            p.receipt,
            p.payer or "—",
            kes(p.amount),
            _short(p.order_id),
            kes(p.order_amount) if p.order_amount is not None else "—",
            "no order"
            if p.order_id is None
            else f"{p.order_payments} payments"
            if p.order_payments > 1
            else "",
        )
        for p in report.payments
    ]
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [f"Payments received on {report.day.isoformat()} — {business}", ""]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [COLUMNS, *rows]
    ]
    if not rows:
        lines.append("(none)")
    lines += [
        "",
        f"Unmatched payments (no order): {len(report.unmatched)} · {kes(report.total_unmatched)}",
    ]
    lines += [f"  {p.receipt}  {kes(p.amount)}" for p in report.unmatched]
    lines.append(f"Orders paid by more than one payment: {len(report.split_orders)}")
    lines += [
        f"  {_short(o.order_id)}  {o.payments} payments  received {kes(o.received)}"
        f" of {kes(o.amount)}"
        for o in report.split_orders
    ]
    lines += [
        "",
        f"Total: {len(report.payments)} payments · {kes(report.total)}"
        f" · matched to {report.orders} orders {kes(report.total_matched)}"
        f" · unmatched {kes(report.total_unmatched)}",
    ]
    return "\n".join(lines)


def cmd_payments_report(args: argparse.Namespace) -> int:
    use_stack_env()
    try:
        business = normalize_kenyan_phone(args.business)
    except InvalidPhoneNumber as exc:
        print(f"{exc.raw}: {exc}", file=sys.stderr)
        return 2
    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        print(f"{args.date}: not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    try:
        with transaction() as conn:
            business_id = require_business_id_for_whatsapp(conn, business)
    except UnknownBusiness as exc:
        print(str(exc), file=sys.stderr)
        return 1
    # As the application role where the stack names one, so RLS scopes the report to the boutique.
    with tenant_transaction(business_id, os.environ.get("APP_DATABASE_URL")) as conn:
        report = day_report(conn, day)
    print(render(report, business))
    return 0


def cmd_c2b_register(args: argparse.Namespace) -> int:
    """Register the boutique's C2B confirmation and validation URLs with Daraja (again)."""
    use_stack_env()
    try:
        business = normalize_kenyan_phone(args.business)
        with transaction() as conn:
            business_id = require_business_id_for_whatsapp(conn, business)
        answers = till_notices.register(business_id)
    except (InvalidPhoneNumber, UnknownBusiness, DukaError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if not answers:
        print("no Till or Paybill in the boutique's settings: nothing to register")
        return 1
    for answer in answers:
        print(f"registered: {answer.get('ResponseDescription', answer)}")
    return 0


def register(subparsers: Any) -> None:
    """Add the `payments` command to the `duka` parser's subcommands."""
    payments = subparsers.add_parser("payments", help="M-Pesa payments received").add_subparsers(
        dest="action", required=True
    )
    report = payments.add_parser("report", help="a day's payments against orders")
    report.add_argument("--date", required=True, help="the day, YYYY-MM-DD (Nairobi time)")
    report.add_argument("--business", required=True, help="the boutique's WhatsApp number")
    report.set_defaults(func=cmd_payments_report)
    c2b = payments.add_parser(
        "c2b-register", help="register the shop's Till/Paybill C2B URLs with Daraja"
    )
    c2b.add_argument("--business", required=True, help="the boutique's WhatsApp number")
    c2b.set_defaults(func=cmd_c2b_register)
