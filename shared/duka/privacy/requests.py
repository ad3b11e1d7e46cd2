"""The log of data requests (export or deletion, in chat or through the owner) with when each
was asked for and completed, and the expiring download links sent to customers in chat.

A link's token is random; only its SHA-256 is stored, with its expiry, so a forged or old
link finds nothing and a leaked database row cannot be turned back into a working link.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, Literal

from duka.db.pool import Connection
from duka.phone import mask_phone

Kind = Literal["export", "deletion"]
Channel = Literal["chat", "owner"]
AGENT = "agent"  # handled_by when the agent did it in chat
LINK_LIFETIME = timedelta(days=3)
TARGET = timedelta(days=7)  # what the Act allows; the tool takes seconds


def log_request(
    conn: Connection,
    *,
    business_id: str,
    kind: Kind,
    channel: Channel,
    conversation_id: str,
    phone: str,
    handled_by: str,
    completed: bool,
) -> str:
    """Record a request; `completed` ones are done in the same transaction."""
    row = conn.execute(
        "INSERT INTO privacy_requests (business_id, kind, channel, conversation_id,"
        " customer_masked, handled_by, status, completed_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, CASE WHEN %s THEN now() END) RETURNING id",
        (
            business_id,
            kind,
            channel,
            conversation_id,
            mask_phone(phone),
            handled_by,
            "completed" if completed else "open",
            completed,
        ),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def set_status(conn: Connection, request_id: str, status: str) -> None:
    """open → replying (her data is gone, the confirmation is being sent), completed, or
    cancelled; the last two stamp completed_at."""
    conn.execute(
        "UPDATE privacy_requests SET status = %s, completed_at = CASE WHEN %s IN"
        " ('completed', 'cancelled') THEN now() END WHERE id = %s",
        (status, status, request_id),
    )


def open_deletion(conn: Connection, conversation_id: str) -> str | None:
    """The chat's deletion waiting for her "Yes, delete" (asked in the last day), if any."""
    row = conn.execute(
        "SELECT id FROM privacy_requests WHERE conversation_id = %s AND kind = 'deletion'"
        " AND status = 'open' AND channel = 'chat' AND requested_at > now() - interval '1 day'"
        " ORDER BY requested_at DESC LIMIT 1",
        (conversation_id,),
    ).fetchone()
    return str(row["id"]) if row else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_download_token(conn: Connection, request_id: str) -> str:
    """A new token for the request's download link, valid for LINK_LIFETIME."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        "UPDATE privacy_requests SET token_hash = %s, token_expires_at = now() + %s WHERE id = %s",
        (_hash(token), LINK_LIFETIME, request_id),
    )
    return token


def conversation_for_token(conn: Connection, token: str) -> str | None:
    """The chat a download link is for, if the token is one we issued and has not expired
    (in the caller's tenant only: RLS)."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(
        "SELECT conversation_id FROM privacy_requests WHERE token_hash = %s"
        " AND token_expires_at > now() AND conversation_id IS NOT NULL",
        (_hash(token),),
    ).fetchone()
    return str(row["conversation_id"]) if row else None


def list_requests(conn: Connection, limit: int = 500) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, kind, channel, customer_masked, status, handled_by, requested_at,"
        " completed_at, completed_at - requested_at AS took FROM privacy_requests"
        " ORDER BY requested_at DESC LIMIT %s",
        (limit,),
    ).fetchall()


def within_target(requested_at: datetime, completed_at: datetime | None) -> bool:
    return completed_at is not None and completed_at - requested_at <= TARGET
