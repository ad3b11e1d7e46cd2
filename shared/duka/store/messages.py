"""Messages: inbound customer messages and the agent's outbound send intents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from duka.db.pool import Connection


@dataclass(frozen=True)
class StoredInbound:
    id: str
    created: bool
    answered: bool


def insert_inbound(
    conn: Connection,
    *,
    business_id: str,
    conversation_id: str,
    external_id: str,
    content: str,
    attachments: list[dict[str, Any]],
    profile_name: str | None,
    tap: dict[str, str] | None = None,
) -> StoredInbound:
    """Store a customer message; a repeated MessageSid returns the stored one unchanged.

    `tap` is a button or list row the customer tapped: {"payload", "title"}."""
    metadata: dict[str, Any] = {"profile_name": profile_name} if profile_name else {}
    if tap:
        metadata["tap"] = tap
    row = conn.execute(
        "INSERT INTO messages (business_id, conversation_id, role, content, attachments,"
        " external_id, metadata) VALUES (%s, %s, 'customer', %s, %s, %s, %s)"
        " ON CONFLICT (business_id, external_id) DO NOTHING RETURNING id",
        (business_id, conversation_id, content, Jsonb(attachments), external_id, Jsonb(metadata)),
    ).fetchone()
    if row is not None:
        return StoredInbound(str(row["id"]), created=True, answered=False)
    existing = conn.execute(
        "SELECT id, answered_by FROM messages WHERE business_id = %s AND external_id = %s",
        (business_id, external_id),
    ).fetchone()
    assert existing is not None
    return StoredInbound(
        str(existing["id"]), created=False, answered=existing["answered_by"] is not None
    )


def get_message(conn: Connection, message_id: str) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM messages WHERE id = %s", (message_id,)).fetchone()


def set_transcript(conn: Connection, message_id: str, transcript: str) -> None:
    """Keep a voice note's transcript with it, for the owner's conversation view."""
    conn.execute(
        "UPDATE messages SET metadata = metadata || jsonb_build_object('transcript', %s::text)"
        " WHERE id = %s",
        (transcript, message_id),
    )


def unanswered_inbound(conn: Connection, conversation_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM messages WHERE conversation_id = %s AND role = 'customer'"
        " AND answered_by IS NULL ORDER BY created_at, id",
        (conversation_id,),
    ).fetchall()


def recent_messages(conn: Connection, conversation_id: str, limit: int = 8) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT * FROM messages WHERE conversation_id = %s ORDER BY created_at DESC, id DESC"
        " LIMIT %s",
        (conversation_id, limit),
    ).fetchall()
    return list(reversed(rows))


def insert_outbound_intent(
    conn: Connection,
    *,
    business_id: str,
    conversation_id: str,
    content: str,
    answers: Sequence[str],
    media_urls: Sequence[str] = (),
    role: str = "agent",
    metadata: dict[str, Any] | None = None,
) -> str:
    """Store the reply before sending it, and mark the inbound messages it answers."""
    row = conn.execute(
        "INSERT INTO messages (business_id, conversation_id, role, content, attachments,"
        " delivery_status, metadata) VALUES (%s, %s, %s, %s, %s, 'pending', %s) RETURNING id",
        (
            business_id,
            conversation_id,
            role,
            content,
            Jsonb([{"url": url} for url in media_urls]),
            Jsonb(metadata or {}),
        ),
    ).fetchone()
    assert row is not None
    reply_id = str(row["id"])
    if answers:
        conn.execute(
            "UPDATE messages SET answered_by = %s WHERE id = ANY(%s::uuid[])",
            (reply_id, list(answers)),
        )
    return reply_id


def pending_outbound(conn: Connection, conversation_id: str) -> list[dict[str, Any]]:
    """Replies still to send, oldest first. Not row-locked: every sender holds the conversation's
    lock, and `record_send_attempt` must update the row from another connection meanwhile."""
    return conn.execute(
        "SELECT * FROM messages WHERE conversation_id = %s AND delivery_status = 'pending'"
        " ORDER BY created_at, id",
        (conversation_id,),
    ).fetchall()


def record_send_attempt(conn: Connection, message_id: str) -> None:
    """Note that a send is starting; committed on its own before Twilio is called."""
    conn.execute("UPDATE messages SET send_attempted_at = now() WHERE id = %s", (message_id,))


def sent_external_ids(conn: Connection, conversation_id: str) -> set[str]:
    """Twilio SIDs already recorded for this conversation's replies."""
    rows = conn.execute(
        "SELECT external_id FROM messages WHERE conversation_id = %s AND role <> 'customer'"
        " AND external_id IS NOT NULL",
        (conversation_id,),
    ).fetchall()
    return {row["external_id"] for row in rows}


def mark_sent(conn: Connection, message_id: str, external_id: str, send_ms: float) -> None:
    conn.execute(
        "UPDATE messages SET delivery_status = 'sent', external_id = %s,"
        " metadata = metadata || jsonb_build_object('send_ms', %s::float, 'sent_at', now())"
        " WHERE id = %s",
        (external_id, round(send_ms, 1), message_id),
    )


def mark_failed(conn: Connection, message_id: str, error: str) -> None:
    conn.execute(
        "UPDATE messages SET delivery_status = 'failed', delivery_error = %s WHERE id = %s",
        (error, message_id),
    )


def mark_dead_lettered(conn: Connection, message_id: str) -> dict[str, Any] | None:
    """Pub/Sub gave up on this customer message: the sweep leaves it for the owner."""
    return conn.execute(
        "UPDATE messages SET metadata = metadata || jsonb_build_object('dead_lettered_at', now())"
        " WHERE id = %s AND role = 'customer' RETURNING id, conversation_id, answered_by",
        (message_id,),
    ).fetchone()


def flag_for_owner(conn: Connection, conversation_id: str, reason: str) -> None:
    """Show the conversation as needing the owner (the dashboard's attention filter)."""
    conn.execute(
        "UPDATE conversations SET metadata = metadata"
        " || jsonb_build_object('needs_attention', true, 'attention_reason', %s::text)"
        " WHERE id = %s",
        (reason, conversation_id),
    )


def customer_messages_before(
    conn: Connection, conversation_id: str, until: datetime, seconds: int
) -> int:
    """Customer messages in this conversation in the `seconds` up to and including `until`."""
    row = conn.execute(
        "SELECT count(*) AS n FROM messages WHERE conversation_id = %s AND role = 'customer'"
        " AND created_at <= %s AND created_at > %s - make_interval(secs => %s)",
        (conversation_id, until, until, seconds),
    ).fetchone()
    return int(row["n"]) if row else 0


def business_customer_messages_before(
    conn: Connection, business_id: str, until: datetime, seconds: int, *, per_sender: int
) -> int:
    """Customer messages to this business in the `seconds` up to and including `until`,
    counting at most `per_sender` from any one conversation: a sender's messages beyond their
    own limit are not served, so they must not use up the shop's budget for everyone else."""
    row = conn.execute(
        "SELECT coalesce(sum(least(n, %s)), 0) AS n FROM ("
        " SELECT count(*) AS n FROM messages WHERE business_id = %s AND role = 'customer'"
        " AND created_at <= %s AND created_at > %s - make_interval(secs => %s)"
        " GROUP BY conversation_id) AS per_conversation",
        (per_sender, business_id, until, until, seconds),
    ).fetchone()
    return int(row["n"]) if row else 0


def answer_silently(conn: Connection, message_ids: Sequence[str], reply_id: str) -> None:
    """Mark customer messages answered by an earlier reply (e.g. one rate-limit notice)."""
    conn.execute(
        "UPDATE messages SET answered_by = %s WHERE id = ANY(%s::uuid[])",
        (reply_id, list(message_ids)),
    )
