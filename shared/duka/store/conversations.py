"""Conversations: one per (business, customer phone); the cart lives in metadata->'cart'."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from duka.db.pool import Connection


def get_or_create_conversation(
    conn: Connection, business_id: str, customer_phone: str, customer_name: str | None
) -> dict[str, Any]:
    """The conversation, created if new; never waits on a turn holding the row's lock.

    An existing row is only read (no UPDATE, no row lock): the webhook must answer Twilio fast
    even while a turn holds the conversation for up to the model's timeout. The customer's last
    message time and profile name reach the row in `note_customer_activity`, under the turn's lock.
    """
    row = conn.execute(
        "INSERT INTO conversations (business_id, customer_phone, customer_name,"
        " last_customer_message_at) VALUES (%s, %s, %s, now())"
        " ON CONFLICT (business_id, customer_phone) DO NOTHING RETURNING *",
        (business_id, customer_phone, customer_name),
    ).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT * FROM conversations WHERE business_id = %s AND customer_phone = %s",
            (business_id, customer_phone),
        ).fetchone()
    assert row is not None
    return row


def note_customer_activity(
    conn: Connection, conversation_id: str, newest: dict[str, Any]
) -> dict[str, Any]:
    """Record the customer's newest stored message on the conversation (the 24-hour window and
    "last seen" read it) with the WhatsApp profile name it came with. Call under the row lock."""
    row = conn.execute(
        "UPDATE conversations SET"
        " last_customer_message_at = GREATEST(last_customer_message_at, %s),"
        " customer_name = COALESCE(%s, customer_name), updated_at = now()"
        " WHERE id = %s RETURNING *",
        (newest["created_at"], (newest.get("metadata") or {}).get("profile_name"), conversation_id),
    ).fetchone()
    assert row is not None
    return row


def last_message_from(conn: Connection, business_id: str, phone: str) -> datetime | None:
    """When `phone` last wrote to this business's number (None: never), e.g. the owner, whose
    24-hour window decides whether an owner alert may go as free text."""
    row = conn.execute(
        "SELECT last_customer_message_at FROM conversations"
        " WHERE business_id = %s AND customer_phone = %s",
        (business_id, phone),
    ).fetchone()
    return row["last_customer_message_at"] if row else None


def lock_conversation(conn: Connection, conversation_id: str) -> dict[str, Any] | None:
    """Row-lock the conversation so its messages are handled one run at a time.

    NO KEY UPDATE, not UPDATE: an order inserted by checkout on another connection checks its
    foreign key to this row (a KEY SHARE lock), which FOR UPDATE would block until we commit.
    """
    return conn.execute(
        "SELECT * FROM conversations WHERE id = %s FOR NO KEY UPDATE", (conversation_id,)
    ).fetchone()


def save_metadata(conn: Connection, conversation_id: str, metadata: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE conversations SET metadata = %s, updated_at = now() WHERE id = %s",
        (Jsonb(metadata), conversation_id),
    )


def set_status(conn: Connection, conversation_id: str, status: str) -> None:
    conn.execute(
        "UPDATE conversations SET status = %s, updated_at = now() WHERE id = %s",
        (status, conversation_id),
    )


def reply_language(conn: Connection, conversation_id: str) -> str:
    """The language a notice outside a turn is written in: the conversation's own ("en" or
    "sw"), English when it has none yet."""
    row = conn.execute(
        "SELECT metadata->>'language' AS language FROM conversations WHERE id = %s",
        (conversation_id,),
    ).fetchone()
    language = row["language"] if row else None
    return "en" if language in (None, "en") else "sw"
