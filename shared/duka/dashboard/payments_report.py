"""The payments page: one day's M-Pesa payments against orders (`duka.orders.reconciliation`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, render_template, request

from duka.dashboard.auth import owner_transaction
from duka.dashboard.formatting import NAIROBI
from duka.orders.reconciliation import day_report

bp = Blueprint("payments", __name__, url_prefix="/dashboard/payments")


def _day(raw: str | None) -> date:
    """The day asked for; today in Nairobi when none (or nonsense) is given."""
    try:
        return date.fromisoformat(raw) if raw else datetime.now(NAIROBI).date()
    except ValueError:
        return datetime.now(NAIROBI).date()


@bp.route("")
def report() -> str:
    day = _day(request.args.get("date"))
    with owner_transaction() as conn:
        found = day_report(conn, day)
    return render_template(
        "orders/payments.html",
        report=found,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
    )
