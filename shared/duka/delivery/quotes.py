"""Delivery to a place no zone covers: the owner sets the fee, then the customer gets the total.

The chat asks for nothing it cannot price: it opens a quote (table delivery_quotes), flags the
chat for the owner and tells the customer the shop will confirm the fee. The owner sets the fee
on the Orders page; the customer is sent the fee and her total with a Pay button, and her next
"pay" reads the fee from here (duka/delivery/fees.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from duka.db.pool import Connection
from duka.orchestrator.cart_model import Cart
from duka.orchestrator.interactive import pay_buttons
from duka.orchestrator.templates import kes, say
from duka.outbound import queue_reply

MAX_FEE = 100_000


def open_quote(
    conn: Connection,
    *,
    business_id: str,
    conversation_id: str,
    customer_phone: str,
    address: str,
    area: str | None,
) -> str:
    """The conversation's open quote for `address` (one per address), opened if need be."""
    row = conn.execute(
        "SELECT id FROM delivery_quotes WHERE conversation_id = %s AND address = %s"
        " AND fee_kes IS NULL",
        (conversation_id, address),
    ).fetchone()
    if row is None:
        row = conn.execute(
            "INSERT INTO delivery_quotes (business_id, conversation_id, customer_phone, address,"
            " area) VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (business_id, conversation_id, customer_phone, address[:300], area),
        ).fetchone()
    assert row is not None
    return str(row["id"])


def quote_fee(conn: Connection, quote_id: str) -> int | None:
    row = conn.execute("SELECT fee_kes FROM delivery_quotes WHERE id = %s", (quote_id,)).fetchone()
    return None if row is None or row["fee_kes"] is None else int(row["fee_kes"])


def open_quotes(conn: Connection) -> list[dict[str, Any]]:
    """Quotes waiting for the owner's fee, oldest first, with the customer's name and cart."""
    rows = conn.execute(
        "SELECT q.id, q.address, q.area, q.customer_phone, q.created_at, q.conversation_id,"
        " c.customer_name, c.metadata->'cart' AS cart FROM delivery_quotes q"
        " JOIN conversations c ON c.id = q.conversation_id"
        " WHERE q.fee_kes IS NULL ORDER BY q.created_at"
    ).fetchall()
    return [{**row, "items_total": _cart(row["cart"]).total} for row in rows]


def _cart(raw: Any) -> Cart:
    return Cart.model_validate(raw) if raw else Cart()


def set_fee(conn: Connection, business_id: str, quote_id: str, fee_kes: int) -> str | None:
    """Set the fee once and queue the customer's total; the conversation id, or None when the
    quote is not this boutique's or already has its fee."""
    quote = conn.execute(
        "UPDATE delivery_quotes SET fee_kes = %s, set_at = now() WHERE id = %s"
        " AND fee_kes IS NULL RETURNING conversation_id, address",
        (fee_kes, quote_id),
    ).fetchone()
    if quote is None:
        return None
    conversation = conn.execute(
        "SELECT id, metadata FROM conversations WHERE id = %s", (quote["conversation_id"],)
    ).fetchone()
    assert conversation is not None  # the quote's row cascades with it
    metadata = conversation["metadata"] or {}
    language = str(metadata.get("language") or "en")
    items = _cart(metadata.get("cart")).total
    text = say(
        "delivery_fee_set",
        language,
        address=quote["address"],
        fee=kes(fee_kes),
        total=kes(items + Decimal(fee_kes)),
    )
    buttons = pay_buttons(language)
    queue_reply(
        conn,
        business_id=business_id,
        conversation_id=str(conversation["id"]),
        text=text,
        role="system",
        metadata={"notice": "delivery_fee_set", "interactive": buttons.to_metadata(text)},
    )
    conn.execute(
        "UPDATE conversations SET metadata = metadata - 'needs_attention' - 'attention_reason'"
        " WHERE id = %s AND metadata->>'attention_reason' = 'delivery_fee'",
        (conversation["id"],),
    )
    return str(conversation["id"])
