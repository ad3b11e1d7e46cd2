"""Delivery receipts per message: every status Twilio reported, and the best one so far.

Twilio's status callbacks can arrive in any order, so each is kept and ranked instead of
overwriting the last: a "sent" that arrives after "read" changes nothing the owner sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg

from duka.db.pool import Connection

# How far along a message is. A failure outranks the steps it never reached; "read" outranks
# everything, since a message the customer read was delivered whatever came after.
RANKS = {"queued": 0, "sent": 1, "delivered": 2, "undelivered": 3, "failed": 3, "read": 4}
FAILURES = frozenset({"failed", "undelivered"})
# How long a status callback waits for a send still being recorded (sent_by_sid_once_recorded).
DELIVERY_LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class MessageStatus:
    status: str
    error_code: int | None
    received_at: datetime

    @property
    def failed(self) -> bool:
        return self.status in FAILURES


def sent_by_sid(conn: Connection, sid: str) -> tuple[str, str] | None:
    """(message id, conversation id) of the message we sent with this Twilio SID, if recorded."""
    row = conn.execute(
        "SELECT id, conversation_id FROM messages WHERE external_id = %s AND role <> 'customer'",
        (sid,),
    ).fetchone()
    return (str(row["id"]), str(row["conversation_id"])) if row else None


def sent_by_sid_once_recorded(conn: Connection, sid: str, to_number: str) -> tuple[str, str] | None:
    """`sent_by_sid`, once a send to `to_number` still in progress has been recorded.

    Twilio can report a status before the sender has stored the SID: delivery holds the
    conversation's row lock from before the send until the SID is committed, so waiting for
    that lock (briefly) and looking again finds it. A SID that is still unknown is not ours.
    """
    try:
        with conn.transaction():  # a savepoint: a lock timeout must not abort the caller's work
            conn.execute(f"SET LOCAL lock_timeout = '{DELIVERY_LOCK_TIMEOUT}'")
            conn.execute(
                "SELECT id FROM conversations WHERE customer_phone = %s FOR UPDATE", (to_number,)
            )
    except psycopg.errors.LockNotAvailable:
        return None
    return sent_by_sid(conn, sid)


def record(conn: Connection, message_id: str, status: str, error_code: int | None) -> bool:
    """Store one reported status; True when it is the message's first failure.

    The row is written for the message's own business, and only for a message this
    transaction's tenant can see. The message's row is locked first, so two failure callbacks
    racing for the same message agree on which of them was first (the owner is told once).
    """
    visible = conn.execute(
        "SELECT business_id FROM messages WHERE id = %s FOR UPDATE", (message_id,)
    ).fetchone()
    if visible is None:
        return False
    earlier = conn.execute(
        "SELECT count(*) AS n FROM message_statuses WHERE message_id = %s AND status = ANY(%s)",
        (message_id, list(FAILURES)),
    ).fetchone()
    conn.execute(
        "INSERT INTO message_statuses (business_id, message_id, status, rank, error_code)"
        " VALUES (%s, %s, %s, %s, %s)",
        (visible["business_id"], message_id, status, RANKS[status], error_code),
    )
    return status in FAILURES and earlier is not None and int(earlier["n"]) == 0


def latest(conn: Connection, message_id: str) -> MessageStatus | None:
    """The message's best status so far (highest rank, then the newest), or None."""
    row = conn.execute(
        "SELECT status, error_code, received_at FROM message_statuses WHERE message_id = %s"
        " ORDER BY rank DESC, received_at DESC, id DESC LIMIT 1",
        (message_id,),
    ).fetchone()
    return MessageStatus(row["status"], row["error_code"], row["received_at"]) if row else None


def latest_for(conn: Connection, message_ids: Sequence[str]) -> dict[str, MessageStatus]:
    """The best status of each of these messages that has one (a thread's ticks, one query)."""
    rows = conn.execute(
        "SELECT DISTINCT ON (message_id) message_id, status, error_code, received_at"
        " FROM message_statuses WHERE message_id = ANY(%s::uuid[])"
        " ORDER BY message_id, rank DESC, received_at DESC, id DESC",
        (list(message_ids),),
    ).fetchall()
    return {
        str(r["message_id"]): MessageStatus(r["status"], r["error_code"], r["received_at"])
        for r in rows
    }
