"""Customers: who buys (orders, lifetime value, sizes and colours) and each one's history.

A customer is one conversation (one per phone per boutique), so its id is the conversation's.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, abort, render_template, request

from duka.dashboard import customer_notes
from duka.dashboard.auth import owner_transaction
from duka.dashboard.timeline import conversation_timeline
from duka.db.pool import Connection

bp = Blueprint("customers", __name__, url_prefix="/dashboard/customers")

SORTS = {
    "recent": "c.last_customer_message_at DESC NULLS LAST",
    "value": "bought.value DESC, c.last_customer_message_at DESC NULLS LAST",
}

_BOUGHT = (
    " LEFT JOIN LATERAL (SELECT count(*) AS orders, COALESCE(sum(o.amount), 0) AS value,"
    "   max(o.created_at) AS last_order FROM orders o"
    "   WHERE o.customer_phone = c.customer_phone AND o.status = 'paid') bought ON true"
    " LEFT JOIN LATERAL (SELECT array_remove(array_agg(DISTINCT i.size), NULL) AS sizes,"
    "   array_remove(array_agg(DISTINCT i.color), NULL) AS colors"
    "   FROM order_items i JOIN orders o ON o.id = i.order_id"
    "   WHERE o.customer_phone = c.customer_phone AND o.status = 'paid') taste ON true"
    " LEFT JOIN customers cu ON cu.phone = c.customer_phone"
    " LEFT JOIN LATERAL (SELECT array_agg(t.tag ORDER BY lower(t.tag)) AS tags"
    "   FROM customer_tags t WHERE t.customer_phone = c.customer_phone) tagged ON true"
)


def list_customers(conn: Connection, query: str, sort: str, tag: str = "") -> list[dict[str, Any]]:
    pattern = f"%{query.strip()}%"
    return conn.execute(
        "SELECT c.id, c.customer_phone, COALESCE(cu.name, c.customer_name) AS name,"
        " c.last_customer_message_at AS last_seen, bought.orders, bought.value,"
        " taste.sizes, taste.colors, tagged.tags FROM conversations c"
        + _BOUGHT
        + " WHERE (c.customer_phone ILIKE %s OR COALESCE(cu.name, c.customer_name, '') ILIKE %s)"
        " AND (%s = '' OR %s = ANY(tagged.tags))"
        f" ORDER BY {SORTS.get(sort, SORTS['recent'])} LIMIT 500",
        (pattern, pattern, tag, tag),
    ).fetchall()


def customer(conn: Connection, conversation_id: UUID) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT c.id, c.customer_phone, COALESCE(cu.name, c.customer_name) AS name,"
        " c.last_customer_message_at AS last_seen, c.created_at AS first_seen, c.status,"
        " bought.orders, bought.value, taste.sizes, taste.colors,"
        " COALESCE(cu.profile, '{}'::jsonb) AS profile FROM conversations c"
        + _BOUGHT
        + " WHERE c.id = %s",
        (conversation_id,),
    ).fetchone()


def purchase_history(conn: Connection, phone: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT o.id, o.created_at, o.amount, o.status, o.fulfillment_status, o.pay_on_delivery,"
        " COALESCE(json_agg(json_build_object('name', i.name, 'size', i.size, 'color', i.color,"
        " 'quantity', i.quantity) ORDER BY i.name) FILTER (WHERE i.id IS NOT NULL), '[]')"
        " AS lines FROM orders o LEFT JOIN order_items i ON i.order_id = o.id"
        " WHERE o.customer_phone = %s GROUP BY o.id ORDER BY o.created_at DESC",
        (phone,),
    ).fetchall()


@bp.route("")
def index() -> str:
    query = request.args.get("q", "")
    sort = request.args.get("sort", "recent")
    tag = request.args.get("tag", "")
    with owner_transaction() as conn:
        rows = list_customers(conn, query, sort, tag)
        tags = customer_notes.all_tags(conn)
    return render_template(
        "customers/list.html", customers=rows, q=query, sort=sort, tag=tag, tags=tags
    )


@bp.route("/<uuid:customer_id>")
def detail(customer_id: UUID) -> str:
    with owner_transaction() as conn:
        found = customer(conn, customer_id)
        if found is None:
            abort(404)
        history = purchase_history(conn, found["customer_phone"])
        entries = conversation_timeline(conn, str(customer_id))
        tags = customer_notes.tags_for(conn, found["customer_phone"])
        notes = customer_notes.notes_for(conn, found["customer_phone"])
    return render_template(
        "customers/detail.html",
        customer=found,
        orders=history,
        entries=entries[-30:],
        tags=tags,
        notes=notes,
    )
