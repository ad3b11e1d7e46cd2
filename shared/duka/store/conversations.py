"""Conversations: one per (business, customer phone); the cart lives in metadata->'cart'."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from duka.db.pool import Connection


def get_or_create_conversation(
    conn: Connection, business_id: str, customer_phone: str, customer_name: str | None
) -> dict[str, Any]:
    row = conn.execute(
        "INSERT INTO conversations (business_id, customer_phone, customer_name,"
        " last_customer_message_at) VALUES (%s, %s, %s, now())"
        " ON CONFLICT (business_id, customer_phone) DO UPDATE SET"
        " customer_name = COALESCE(EXCLUDED.customer_name, conversations.customer_name),"
        " last_customer_message_at = now(), updated_at = now()"
        " RETURNING *",
        (business_id, customer_phone, customer_name),
    ).fetchone()
    assert row is not None
    return row


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
