"""Overview: sales cards, the 30-day revenue chart, top products and the live activity feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template

from duka.dashboard.auth import owner_transaction
from duka.dashboard.formatting import NAIROBI
from duka.dashboard.revenue_sources import PERIODS, revenue_by_source
from duka.db.pool import Connection
from duka.store.shop_knowledge import open_questions

bp = Blueprint("overview", __name__, url_prefix="/dashboard")

DAYS = 30
# When an order counts as sold: its payment time (older rows may lack it: their creation).
PAID_AT = "COALESCE(o.paid_at, o.created_at)"


@dataclass(frozen=True)
class Cards:
    sales_today: Decimal
    sales_30d: Decimal
    paid_orders: int
    awaiting_payment: int
    conversations: int
    converted: int
    needing_you: int

    @property
    def conversion(self) -> float | None:
        return self.converted / self.conversations if self.conversations else None


@dataclass(frozen=True)
class Bar:
    day: date
    amount: Decimal
    height: float  # share of the tallest bar, 0..1


def window_start(today: date) -> datetime:
    """Nairobi midnight at the start of the 30-day window that ends today."""
    return datetime.combine(today - timedelta(days=DAYS - 1), time(), NAIROBI)


def cards(conn: Connection, start: datetime, today: date) -> Cards:
    sales = conn.execute(
        f"SELECT COALESCE(sum(o.amount) FILTER (WHERE ({PAID_AT} AT TIME ZONE 'Africa/Nairobi')"
        "::date = %s), 0) AS today, COALESCE(sum(o.amount), 0) AS total, count(*) AS paid"
        f" FROM orders o WHERE o.status = 'paid' AND {PAID_AT} >= %s",
        (today, start),
    ).fetchone()
    talk = conn.execute(
        "WITH talking AS (SELECT DISTINCT conversation_id FROM messages"
        "   WHERE role = 'customer' AND created_at >= %s)"
        " SELECT (SELECT count(*) FROM talking) AS conversations,"
        f" (SELECT count(DISTINCT o.conversation_id) FROM orders o WHERE o.status = 'paid'"
        f"   AND {PAID_AT} >= %s AND o.conversation_id IN (SELECT * FROM talking)) AS converted,"
        " (SELECT count(*) FROM orders o WHERE o.status = 'pending' AND o.created_at >= %s)"
        "   AS awaiting,"
        " (SELECT count(*) FROM conversations WHERE status = 'handed_over'"
        "   OR metadata->>'needs_attention' = 'true') AS needing_you",
        (start, start, start),
    ).fetchone()
    assert sales is not None and talk is not None
    return Cards(
        sales_today=Decimal(sales["today"]),
        sales_30d=Decimal(sales["total"]),
        paid_orders=int(sales["paid"]),
        awaiting_payment=int(talk["awaiting"]),
        conversations=int(talk["conversations"]),
        converted=int(talk["converted"]),
        needing_you=int(talk["needing_you"]),
    )


def revenue_bars(conn: Connection, start: datetime, today: date) -> list[Bar]:
    rows = conn.execute(
        f"SELECT ({PAID_AT} AT TIME ZONE 'Africa/Nairobi')::date AS day, sum(o.amount) AS amount"
        f" FROM orders o WHERE o.status = 'paid' AND {PAID_AT} >= %s GROUP BY 1",
        (start,),
    ).fetchall()
    by_day = {r["day"]: Decimal(r["amount"]) for r in rows}
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    tallest = max(by_day.values(), default=Decimal(0)) or Decimal(1)
    return [
        Bar(day, by_day.get(day, Decimal(0)), float(by_day.get(day, Decimal(0)) / tallest))
        for day in days
    ]


def top_products(conn: Connection, start: datetime, limit: int = 5) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT oi.product_id, oi.name, sum(oi.quantity) AS units, sum(oi.line_total) AS revenue"
        " FROM order_items oi JOIN orders o ON o.id = oi.order_id"
        f" WHERE o.status = 'paid' AND {PAID_AT} >= %s"
        " GROUP BY oi.product_id, oi.name ORDER BY units DESC, revenue DESC, oi.name LIMIT %s",
        (start, limit),
    ).fetchall()


def recent_activity(conn: Connection, limit: int = 15) -> list[dict[str, Any]]:
    """Customer messages, new orders and payments, newest first."""
    return conn.execute(
        "SELECT * FROM ("
        " (SELECT m.created_at AS at, 'message' AS kind, c.id AS conversation_id,"
        "   NULL::uuid AS order_id, COALESCE(c.customer_name, c.customer_phone) AS who,"
        "   m.content AS detail, NULL::numeric AS amount, m.attachments <> '[]' AS photo"
        "   FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        "   WHERE m.role = 'customer' ORDER BY m.created_at DESC LIMIT %s)"
        " UNION ALL"
        " (SELECT o.created_at, 'order', o.conversation_id, o.id,"
        "   COALESCE(c.customer_name, o.customer_phone), NULL, o.amount, false"
        "   FROM orders o LEFT JOIN conversations c ON c.id = o.conversation_id"
        "   ORDER BY o.created_at DESC LIMIT %s)"
        " UNION ALL"
        f" (SELECT {PAID_AT}, 'paid', o.conversation_id, o.id,"
        "   COALESCE(c.customer_name, o.customer_phone),"
        "   COALESCE(o.transaction_id, o.mpesa_reference), o.amount, false"
        "   FROM orders o LEFT JOIN conversations c ON c.id = o.conversation_id"
        f"   WHERE o.status = 'paid' ORDER BY {PAID_AT} DESC LIMIT %s)"
        ") feed ORDER BY at DESC LIMIT %s",
        (limit, limit, limit, limit),
    ).fetchall()


@bp.route("/")
def page() -> str:
    today = datetime.now(NAIROBI).date()
    start = window_start(today)
    with owner_transaction() as conn:
        context = {
            "cards": cards(conn, start, today),
            "bars": revenue_bars(conn, start, today),
            "top": top_products(conn, start),
            "activity": recent_activity(conn),
            "questions": open_questions(conn),
            "sources": revenue_by_source(conn, today),
            "periods": PERIODS,
        }
    return render_template("overview.html", **context)


@bp.route("/activity")
def activity() -> str:
    """The feed alone: the page polls it so new activity shows without a reload."""
    with owner_transaction() as conn:
        items = recent_activity(conn)
    return render_template("_activity.html", activity=items)
