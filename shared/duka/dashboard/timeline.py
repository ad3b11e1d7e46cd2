"""A conversation as the owner reads it: messages, the products the agent showed, payments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from duka.dashboard.formatting import kes
from duka.db.pool import Connection

MAX_MESSAGES = 200
MIN_NAME_LENGTH = 4  # shorter product names would match ordinary words


@dataclass(frozen=True)
class ShownProduct:
    id: str
    name: str
    price: Any
    has_image: bool


@dataclass(frozen=True)
class Entry:
    """One line of the thread: a message (with the products it mentions) or a payment marker."""

    at: datetime
    kind: str  # "message" or "marker"
    message: dict[str, Any] | None = None
    products: list[ShownProduct] = field(default_factory=list)
    marker: str = ""
    tone: str = ""  # marker colour: "ok", "bad", "info"


def _messages(conn: Connection, conversation_id: str, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, role, content, attachments, delivery_status, delivery_error, metadata,"
        " created_at FROM messages WHERE conversation_id = %s"
        " ORDER BY created_at DESC, id DESC LIMIT %s",
        (conversation_id, limit),
    ).fetchall()
    return list(reversed(rows))


def _catalogue(conn: Connection) -> list[ShownProduct]:
    rows = conn.execute(
        "SELECT id, name, price, images <> '{}' AS has_image FROM products"
        " WHERE length(name) >= %s ORDER BY length(name) DESC",
        (MIN_NAME_LENGTH,),
    ).fetchall()
    return [ShownProduct(str(r["id"]), r["name"], r["price"], r["has_image"]) for r in rows]


def products_named(text: str, catalogue: list[ShownProduct]) -> list[ShownProduct]:
    """The products an agent reply lists: replies always carry each shown product's name."""
    lowered = text.lower()
    found: list[ShownProduct] = []
    for product in catalogue:  # longest names first, so "Midi Dress" can't shadow its variant
        name = product.name.lower()
        if name in lowered:
            found.append(product)
            lowered = lowered.replace(name, " ")
    return found


def payment_markers(conn: Connection, conversation_id: str) -> list[Entry]:
    markers: list[Entry] = []
    for order in conn.execute(
        "SELECT * FROM orders WHERE conversation_id = %s ORDER BY created_at", (conversation_id,)
    ).fetchall():
        amount = kes(order["amount"])
        prompt = order["checkout_request_id"] or order["mpesa_reference"]
        markers.append(
            Entry(
                order["created_at"],
                "marker",
                marker=f"M-Pesa prompt sent · {amount}" if prompt else f"Order created · {amount}",
                tone="info",
            )
        )
        status = order["status"]
        if status == "paid":
            reference = order["transaction_id"] or order["mpesa_reference"]
            markers.append(
                Entry(
                    order.get("paid_at") or order["updated_at"],
                    "marker",
                    marker=f"Paid {amount}" + (f" · M-Pesa {reference}" if reference else ""),
                    tone="ok",
                )
            )
        elif status in ("failed", "cancelled", "expired"):
            reason = order.get("failure_reason")
            label = {"failed": "Payment failed", "cancelled": "Payment cancelled"}.get(
                status, "Payment expired"
            )
            markers.append(
                Entry(
                    order["updated_at"],
                    "marker",
                    marker=f"{label} · {reason.replace('_', ' ')}" if reason else label,
                    tone="bad",
                )
            )
    return markers


def conversation_timeline(conn: Connection, conversation_id: str) -> list[Entry]:
    catalogue = _catalogue(conn)
    entries = [
        Entry(
            m["created_at"],
            "message",
            message=m,
            products=products_named(m["content"], catalogue) if m["role"] == "agent" else [],
        )
        for m in _messages(conn, conversation_id, MAX_MESSAGES)
    ]
    entries.extend(payment_markers(conn, conversation_id))
    return sorted(entries, key=lambda e: e.at)
