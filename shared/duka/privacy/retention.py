"""The nightly retention purge: chat messages older than the boutique's retention setting
(default 12 months) are deleted, with the demand words and memories drawn from them. Orders,
payments, refunds and the ledger are money records and are never touched."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from duka.db.pool import Connection, tenant_transaction, transaction
from duka.logs import log
from duka.privacy.notice import retention_months

logger = logging.getLogger(__name__)
MAX_BUSINESSES = 1000


@dataclass(frozen=True)
class Purged:
    messages: int
    demand_words: int
    memories: int


def purge_old_chats(conn: Connection, months: int, now: datetime) -> Purged:
    """In the caller's tenant: everything said more than `months` before `now` goes."""
    found = conn.execute(
        "SELECT %s::timestamptz - make_interval(months => %s) AS cutoff", (now, months)
    ).fetchone()
    assert found is not None
    cutoff = found["cutoff"]
    # A kept reply may name an old message as the one it answered: let go of the link first.
    conn.execute(
        "UPDATE messages SET answered_by = NULL WHERE created_at >= %s AND answered_by IN"
        " (SELECT id FROM messages WHERE created_at < %s)",
        (cutoff, cutoff),
    )
    messages = conn.execute("DELETE FROM messages WHERE created_at < %s", (cutoff,)).rowcount
    words = conn.execute(
        "UPDATE demand_signals SET words = '' WHERE created_at < %s AND words <> ''", (cutoff,)
    ).rowcount
    memories = conn.execute("DELETE FROM agent_memories WHERE created_at < %s", (cutoff,)).rowcount
    return Purged(messages, words, memories)


def run_retention(now: datetime) -> int:
    """Purge every boutique with chats past its retention; returns how many were purged."""
    with transaction() as conn:
        due = conn.execute(
            "SELECT business_id FROM privacy_retention_due(%s)", (MAX_BUSINESSES,)
        ).fetchall()
    for row in due:
        business_id = str(row["business_id"])
        with tenant_transaction(business_id) as conn:
            settings = conn.execute(
                "SELECT settings FROM businesses WHERE id = %s", (business_id,)
            ).fetchone()
            months = retention_months((settings or {}).get("settings") or {})
            purged = purge_old_chats(conn, months, now)
        log(
            logger,
            logging.INFO,
            "privacy retention purge",
            business_id=business_id,
            retention_months=months,
            messages=purged.messages,
            demand_words=purged.demand_words,
            memories=purged.memories,
        )
    return len(due)
