"""A conversation as the owner reads it: messages, the products the agent showed, payments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from duka.dashboard.formatting import kes
from duka.db.pool import Connection
from duka.store.message_status import MessageStatus, latest_for

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
    receipt: MessageStatus | None = None  # a sent message's best delivery status (its ticks)


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
    found: list[tuple[int, ShownProduct]] = []
    for product in catalogue:  # longest names first, so "Midi Dress" can't shadow its variant
        name = product.name.lower()
        at = lowered.find(name)
        if at >= 0:
            found.append((at, product))
            lowered = lowered.replace(name, " " * len(name))
    return [product for _, product in sorted(found, key=lambda hit: hit[0])]


OUTCOMES = {  # payment attempt status -> (label, tone)
    "paid": ("Paid", "ok"),
    "failed": ("Payment failed", "bad"),
    "expired": ("Payment expired", "bad"),
    "flagged": ("Payment needs checking", "bad"),
}
ORDER_OUTCOMES = {**OUTCOMES, "cancelled": ("Payment cancelled", "bad")}


def _outcome(label: str, amount: str, reference: str | None, reason: str | None) -> str:
    if label == "Paid":
        return f"Paid {amount}" + (f" · M-Pesa {reference}" if reference else "")
    return f"{label} · {reason.replace('_', ' ')}" if reason else label


def payment_markers(conn: Connection, conversation_id: str) -> list[Entry]:
    """Each M-Pesa prompt and how it ended (from the order itself when no attempt is stored)."""
    orders = conn.execute(
        "SELECT * FROM orders WHERE conversation_id = %s ORDER BY created_at", (conversation_id,)
    ).fetchall()
    attempts = conn.execute(
        "SELECT * FROM payment_attempts WHERE order_id = ANY(%s::uuid[]) ORDER BY created_at",
        ([str(o["id"]) for o in orders],),
    ).fetchall()
    markers: list[Entry] = []
    for order in orders:
        amount = kes(order["amount"])
        tried = [a for a in attempts if a["order_id"] == order["id"]]
        for attempt in tried:
            markers.append(
                Entry(
                    attempt["created_at"],
                    "marker",
                    marker=f"M-Pesa prompt sent · {amount}",
                    tone="info",
                )
            )
            if attempt["status"] in OUTCOMES and attempt["answered_at"]:
                label, tone = OUTCOMES[attempt["status"]]
                reference = attempt["transaction_id"] or attempt["mpesa_reference"]
                text = _outcome(label, amount, reference, attempt["failure_reason"])
                markers.append(Entry(attempt["answered_at"], "marker", marker=text, tone=tone))
        if tried:
            continue
        markers.append(
            Entry(order["created_at"], "marker", marker=f"Order created · {amount}", tone="info")
        )
        if order["status"] in ORDER_OUTCOMES:
            label, tone = ORDER_OUTCOMES[order["status"]]
            reference = order["transaction_id"] or order["mpesa_reference"]
            text = _outcome(label, amount, reference, order["failure_reason"])
            at = order["paid_at"] or order["updated_at"]
            markers.append(Entry(at, "marker", marker=text, tone=tone))
    return markers


def conversation_timeline(conn: Connection, conversation_id: str) -> list[Entry]:
    catalogue = _catalogue(conn)
    rows = _messages(conn, conversation_id, MAX_MESSAGES)
    receipts = latest_for(conn, [str(m["id"]) for m in rows if m["role"] != "customer"])
    entries = [
        Entry(
            m["created_at"],
            "message",
            message=m,
            products=products_named(m["content"], catalogue) if m["role"] == "agent" else [],
            receipt=receipts.get(str(m["id"])),
        )
        for m in rows
    ]
    entries.extend(payment_markers(conn, conversation_id))
    return sorted(entries, key=lambda e: e.at)
