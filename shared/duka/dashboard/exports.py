"""CSV exports for the owner's accountant: orders (with the Orders page's filters) and customers.

Every cell goes through `csv_cells.safe_cell`, so a customer's name or address can never run as
a spreadsheet formula. The rows are the boutique's own (the owner's transaction, under RLS).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request

from duka.dashboard import audit
from duka.dashboard.auth import owner_transaction
from duka.dashboard.csv_cells import csv_text
from duka.dashboard.formatting import FULFILMENT_LABELS, NAIROBI, PAYMENT_LABELS
from duka.dashboard.orders import OrderFilters, filter_clause
from duka.db.pool import Connection
from duka.orders.push import account_reference

bp = Blueprint("exports", __name__, url_prefix="/dashboard/exports")

ORDER_COLUMNS = (
    "Order",
    "Created",
    "Paid",
    "Customer",
    "Phone",
    "Items",
    "Delivery fee (KES)",
    "Total (KES)",
    "Payment",
    "Delivery",
    "M-Pesa code",
    "Delivery address",
    "Source",
)
CUSTOMER_COLUMNS = (
    "Customer",
    "Phone",
    "First message",
    "Last message",
    "Paid orders",
    "Spent (KES)",
    "Sizes bought",
    "Messages from the shop",
)


def export_orders(conn: Connection, filters: OrderFilters) -> list[list[Any]]:
    """Every order the Orders page's filters select (the search box too), oldest first."""
    where, params = filter_clause(filters)
    rows = conn.execute(
        "SELECT o.id, o.created_at, o.paid_at, c.customer_name, o.customer_phone, o.amount,"
        " o.status, o.fulfillment_status, COALESCE(o.transaction_id, o.mpesa_reference) AS code,"
        " o.delivery_info, o.source,"
        " (SELECT string_agg(i.name || COALESCE(' ' || i.size, '') || ' x' || i.quantity, '; '"
        "   ORDER BY i.name) FROM order_items i WHERE i.order_id = o.id) AS items"
        " FROM orders o LEFT JOIN conversations c ON c.id = o.conversation_id"
        f" WHERE {where} ORDER BY o.created_at",
        params,
    ).fetchall()
    return [
        [
            account_reference(str(r["id"])),
            r["created_at"],
            r["paid_at"],
            r["customer_name"],
            r["customer_phone"],
            r["items"],
            int((r["delivery_info"] or {}).get("fee_kes") or 0),
            r["amount"],
            PAYMENT_LABELS.get(r["status"], r["status"]),
            FULFILMENT_LABELS.get(r["fulfillment_status"], r["fulfillment_status"]),
            r["code"],
            (r["delivery_info"] or {}).get("address"),
            r["source"],
        ]
        for r in rows
    ]


def export_customers(conn: Connection) -> list[list[Any]]:
    rows = conn.execute(
        "SELECT COALESCE(cu.name, c.customer_name) AS name, c.customer_phone, c.created_at,"
        " c.last_customer_message_at, bought.orders, bought.value, taste.sizes,"
        " consent.kind AS consent"
        " FROM conversations c"
        " LEFT JOIN customers cu ON cu.phone = c.customer_phone"
        " LEFT JOIN LATERAL (SELECT count(*) AS orders, COALESCE(sum(o.amount), 0) AS value"
        "   FROM orders o WHERE o.customer_phone = c.customer_phone AND o.status = 'paid') bought"
        "   ON true"
        " LEFT JOIN LATERAL (SELECT array_remove(array_agg(DISTINCT i.size), NULL) AS sizes"
        "   FROM order_items i JOIN orders o ON o.id = i.order_id"
        "   WHERE o.customer_phone = c.customer_phone AND o.status = 'paid') taste ON true"
        " LEFT JOIN LATERAL (SELECT e.kind FROM consent_events e"
        "   WHERE e.customer_phone = c.customer_phone ORDER BY e.created_at DESC, e.id DESC"
        "   LIMIT 1) consent ON true"
        " ORDER BY c.created_at",
    ).fetchall()
    consent_labels = {"opt_in": "Subscribed", "opt_out": "Stopped (STOP)", None: "Not asked"}
    return [
        [
            r["name"],
            r["customer_phone"],
            r["created_at"],
            r["last_customer_message_at"],
            int(r["orders"]),
            r["value"],
            ", ".join(sorted(r["sizes"] or [])),
            consent_labels[r["consent"]],
        ]
        for r in rows
    ]


@bp.route("/orders.csv")
def orders_csv() -> Response:
    filters = OrderFilters.from_args(request.args)
    with owner_transaction() as conn:
        rows = export_orders(conn, filters)
        audit.record(conn, "export.downloaded", "export", None, export="orders", rows=len(rows))
    return _download(csv_text(ORDER_COLUMNS, rows), "orders")


@bp.route("/customers.csv")
def customers_csv() -> Response:
    with owner_transaction() as conn:
        rows = export_customers(conn)
        audit.record(conn, "export.downloaded", "export", None, export="customers", rows=len(rows))
    return _download(csv_text(CUSTOMER_COLUMNS, rows), "customers")


def _download(text: str, name: str) -> Response:
    today = datetime.now(NAIROBI).date().isoformat()
    return Response(
        "\ufeff" + text,  # a BOM, so Excel reads the UTF-8 (names with accents, emoji)
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="duka-{name}-{today}.csv"',
            "Cache-Control": "no-store",
        },
    )
