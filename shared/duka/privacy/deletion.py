"""Delete a customer's data on request: her words, media, name and number are removed or
masked; money records (orders, payments, refunds, the ledger) stay, with her number masked.

Every table holding a customer's number or words is named here (a test checks her number is
found nowhere afterwards, in any table of the boutique). Runs in the caller's tenant
transaction, so the deletion and its log entry commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from duka.db.pool import Connection
from duka.phone import local_format, mask_phone

DELETED_TEXT = "(deleted at the customer's request)"
# Message metadata that says what the agent did, not what she said: the funnel and the
# attribution reports read these.
_KEPT_MESSAGE_KEYS = frozenset(
    {"intent", "shown", "cart_lines", "proactive", "broadcast_id", "order_id", "reply_source"}
    | {"language", "template", "answered", "photo_of_reply", "follow_up"}
)
# What an order's delivery_info may keep: how it was delivered and for how much, not where.
_KEPT_DELIVERY_KEYS = frozenset({"fee_kes", "pickup_point_id", "method", "kind", "zone"})
# (table, column) where her number is replaced by the masked reference: the row must stay.
_MASKED = (
    ("orders", "customer_phone"),
    ("payment_claims", "customer_phone"),
    ("sales_touches", "customer_phone"),
    ("consent_events", "customer_phone"),
    ("follow_ups", "customer_phone"),
    ("broadcast_recipients", "customer_phone"),
    ("owner_questions", "customer_phone"),
    ("delivery_quotes", "customer_phone"),
)
# Rows that are only about her (taste, memories, the owner's notes): removed.
_REMOVED = ("agent_memories", "size_choices", "stock_alerts", "customer_tags", "customer_notes")


@dataclass(frozen=True)
class Erased:
    masked: str  # what now stands for her number: "+254******678 #3fa2c1"
    messages: int
    orders: int


def masked_reference(phone: str, request_id: str) -> str:
    """Her masked number plus a short reference, unique per deletion: rows that must stay
    (orders, a broadcast's recipients) can still be told apart and grouped, never called."""
    return f"{mask_phone(phone)} #{request_id.replace('-', '')[:6]}"


def phone_forms(phone: str) -> list[str]:
    """The ways her number is written in our rows: +254712345678, 254712345678, 0712345678."""
    return sorted({phone, phone.lstrip("+"), local_format(phone)}, key=len, reverse=True)


def _message_metadata(metadata: dict[str, Any], forms: list[str]) -> dict[str, Any]:
    kept = {k: v for k, v in metadata.items() if k in _KEPT_MESSAGE_KEYS}
    to = metadata.get("to")
    if isinstance(to, str) and to not in forms:  # an alert to the owner: still deliverable
        kept["to"] = to
    return {**kept, "anonymised": True}


def anonymise_messages(
    conn: Connection, conversation_id: str, forms: list[str], *, keep_pending: bool
) -> int:
    """Every message of the chat loses its words and media (Twilio URLs); what the agent did
    stays for the reports. With `keep_pending`, a reply still waiting to be sent keeps its
    words (the deletion's own confirmation)."""
    rows = conn.execute(
        "SELECT id, metadata FROM messages WHERE conversation_id = %s AND NOT (%s AND"
        " role <> 'customer' AND COALESCE(delivery_status, '') = 'pending')",
        (conversation_id, keep_pending),
    ).fetchall()
    for row in rows:
        conn.execute(
            "UPDATE messages SET content = '', attachments = '[]'::jsonb, metadata = %s,"
            " delivery_error = NULL WHERE id = %s",
            (Jsonb(_message_metadata(row["metadata"] or {}, forms)), row["id"]),
        )
    return len(rows)


def _scrub_orders(conn: Connection, phone: str, conversation_id: str, masked: str) -> int:
    orders = conn.execute(
        "SELECT id, pay_phone, delivery_info FROM orders"
        " WHERE customer_phone = %s OR conversation_id = %s",
        (phone, conversation_id),
    ).fetchall()
    for order in orders:
        delivery = {
            k: v for k, v in (order["delivery_info"] or {}).items() if k in _KEPT_DELIVERY_KEYS
        }
        pay_phone = order["pay_phone"]
        conn.execute(
            "UPDATE orders SET customer_phone = %s, pay_phone = %s, delivery_info = %s"
            " WHERE id = %s",
            (
                masked,
                mask_phone(pay_phone) if pay_phone else None,
                Jsonb({**delivery, "anonymised": True}),
                order["id"],
            ),
        )
        conn.execute(
            "UPDATE payment_attempts SET pay_phone = %s WHERE order_id = %s AND pay_phone <> %s",
            (masked, order["id"], masked),
        )
    return len(orders)


def erase_customer(
    conn: Connection,
    *,
    conversation_id: str,
    phone: str,
    request_id: str,
    keep_number_for_reply: bool = False,
) -> Erased:
    """Anonymise her chat, media, profile and notes and mask her number everywhere it must
    stay. `keep_number_for_reply` leaves the number on the chat row alone, so the confirmation
    can still reach her; `forget_number` finishes the job once it has gone."""
    forms = phone_forms(phone)
    masked = masked_reference(phone, request_id)
    messages = anonymise_messages(conn, conversation_id, forms, keep_pending=keep_number_for_reply)
    orders = _scrub_orders(conn, phone, conversation_id, masked)
    for table, column in _MASKED:
        conn.execute(
            f"UPDATE {table} SET {column} = %s WHERE {column} = ANY(%s)",  # noqa: S608 - our names
            (masked, forms),
        )
    conn.execute(
        "UPDATE owner_questions SET question = %s WHERE customer_phone = %s", (DELETED_TEXT, masked)
    )
    conn.execute("UPDATE delivery_quotes SET address = '' WHERE customer_phone = %s", (masked,))
    conn.execute(
        "UPDATE demand_signals SET words = '' WHERE conversation_id = %s", (conversation_id,)
    )
    for table in _REMOVED:
        conn.execute(f"DELETE FROM {table} WHERE customer_phone = ANY(%s)", (forms,))  # noqa: S608
    conn.execute("DELETE FROM agent_memories WHERE conversation_id = %s", (conversation_id,))
    conn.execute(
        "UPDATE customers SET phone = %s, name = NULL, profile = '{}'::jsonb WHERE phone = ANY(%s)",
        (masked, forms),
    )
    conn.execute(
        "UPDATE conversations SET customer_name = NULL, metadata = '{}'::jsonb WHERE id = %s",
        (conversation_id,),
    )
    conn.execute("SELECT audit_log_forget_phone(%s, %s)", (forms, masked))
    if not keep_number_for_reply:
        forget_number(conn, conversation_id=conversation_id, phone=phone, request_id=request_id)
    return Erased(masked=masked, messages=messages, orders=orders)


def forget_number(conn: Connection, *, conversation_id: str, phone: str, request_id: str) -> None:
    """The chat row lets go of her number (the last place it was kept); anything she wrote
    since the deletion is anonymised too. A new message from her starts a new chat."""
    anonymise_messages(conn, conversation_id, phone_forms(phone), keep_pending=False)
    conn.execute(
        "UPDATE conversations SET customer_phone = %s, customer_name = NULL WHERE id = %s",
        (masked_reference(phone, request_id), conversation_id),
    )
