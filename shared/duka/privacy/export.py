"""A customer's data as JSON and CSV: her chat, her orders and the links to her media.

The CSV has one row per record (a message, a media link, an order line) and goes through
duka.dashboard.csv_cells, so a message that starts with = + - or @ opens as text, never as a
formula.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from duka.dashboard.csv_cells import Cell, csv_text
from duka.db.pool import Connection

CSV_HEADER = (
    "record",
    "time",
    "from",
    "text",
    "media_url",
    "order_id",
    "order_status",
    "item",
    "size",
    "colour",
    "quantity",
    "amount_kes",
)


def collect(conn: Connection, conversation_id: str) -> dict[str, Any] | None:
    """Everything kept about the chat's customer (in the caller's tenant), or None."""
    chat = conn.execute(
        "SELECT c.id, c.customer_phone, COALESCE(cu.name, c.customer_name) AS name,"
        " c.created_at, COALESCE(cu.profile, '{}'::jsonb) AS profile, b.name AS shop"
        " FROM conversations c JOIN businesses b ON b.id = c.business_id"
        " LEFT JOIN customers cu ON cu.phone = c.customer_phone WHERE c.id = %s",
        (conversation_id,),
    ).fetchone()
    if chat is None:
        return None
    messages = conn.execute(
        "SELECT created_at, role, content, attachments FROM messages"
        " WHERE conversation_id = %s ORDER BY created_at, id",
        (conversation_id,),
    ).fetchall()
    orders = conn.execute(
        "SELECT o.id, o.created_at, o.status, o.fulfillment_status, o.amount,"
        " o.delivery_info, COALESCE(json_agg(json_build_object('name', i.name, 'size', i.size,"
        " 'colour', i.color, 'quantity', i.quantity, 'line_total', i.line_total)"
        " ORDER BY i.name) FILTER (WHERE i.id IS NOT NULL), '[]') AS lines"
        " FROM orders o LEFT JOIN order_items i ON i.order_id = o.id"
        " WHERE o.customer_phone = %s OR o.conversation_id = %s"
        " GROUP BY o.id ORDER BY o.created_at",
        (chat["customer_phone"], conversation_id),
    ).fetchall()
    return {
        "shop": chat["shop"],
        "customer": {
            "phone": chat["customer_phone"],
            "name": chat["name"],
            "first_message_at": chat["created_at"],
            "profile": chat["profile"],
        },
        "messages": [
            {
                "time": m["created_at"],
                "from": "you" if m["role"] == "customer" else "shop",
                "text": m["content"],
                "media": [a["url"] for a in m["attachments"] or [] if a.get("url")],
            }
            for m in messages
        ],
        "orders": [
            {
                "id": str(o["id"]),
                "time": o["created_at"],
                "status": o["status"],
                "delivery_status": o["fulfillment_status"],
                "amount_kes": o["amount"],
                "delivery": o["delivery_info"],
                "items": o["lines"],
            }
            for o in orders
        ],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, default=_plain, ensure_ascii=False, indent=2)


def _amount(value: Any) -> int | Decimal | None:
    if value is None:
        return None
    amount = Decimal(str(value))
    return int(amount) if amount == amount.to_integral_value() else amount


def csv_rows(data: dict[str, Any]) -> list[tuple[Cell, ...]]:
    customer = data["customer"]
    rows: list[tuple[Cell, ...]] = [
        ("customer", customer["first_message_at"], "", customer["name"] or "", None, None)
        + (None,) * 6,
        ("phone", None, "", customer["phone"], None, None) + (None,) * 6,
    ]
    for m in data["messages"]:
        rows.append(("message", m["time"], m["from"], m["text"], None) + (None,) * 7)
        rows += [("media", m["time"], m["from"], None, url) + (None,) * 7 for url in m["media"]]
    for o in data["orders"]:
        rows.append(
            ("order", o["time"], "", None, None, o["id"], o["status"])
            + (None, None, None, None, _amount(o["amount_kes"]))
        )
        for line in o["items"]:
            rows.append(
                ("order_item", o["time"], "", None, None, o["id"], o["status"])
                + (line["name"], line["size"], line["colour"], line["quantity"])
                + (_amount(line["line_total"]),)
            )
    return rows


def to_csv(data: dict[str, Any]) -> str:
    return csv_text(CSV_HEADER, csv_rows(data))
