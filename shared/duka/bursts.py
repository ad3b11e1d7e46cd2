"""Burst coalescing: wait briefly when more messages are probably on their way.

Customers often send "hi", "do you have this?", [photo] within seconds. A message that only
opens a conversation, or one arriving right after another still unanswered one, waits until a
short window has passed since it was stored, so the run that follows answers the whole burst
with one reply.
A message with a clear request and no burst in progress is answered at once.
"""

from __future__ import annotations

import time
from datetime import timedelta

from duka.config import get_settings
from duka.db.pool import tenant_transaction
from duka.orchestrator.intents import classify

BURST_GAP = timedelta(seconds=3)
OPENER_INTENTS = {"greeting", "other"}
OPENER_MAX_CHARS = 40


def is_opener(text: str, has_media: bool) -> bool:
    if has_media or len(text) > OPENER_MAX_CHARS:
        return False
    return classify(text).intent.value in OPENER_INTENTS


def wait_for_burst(business_id: str, message_id: str | None) -> float:
    """Sleep until the burst window after this message has passed; returns seconds waited."""
    window = get_settings().burst_window_ms / 1000
    if not message_id or window <= 0:
        return 0.0
    with tenant_transaction(business_id) as conn:
        row = conn.execute(
            "SELECT m.content, jsonb_array_length(m.attachments) > 0 AS has_media,"
            " EXTRACT(EPOCH FROM now() - m.created_at) AS age,"
            " m.created_at - (SELECT max(p.created_at) FROM messages p"
            "   WHERE p.conversation_id = m.conversation_id AND p.role = 'customer'"
            "   AND p.answered_by IS NULL AND p.created_at < m.created_at) AS gap"
            " FROM messages m WHERE m.id = %s AND m.answered_by IS NULL",
            (message_id,),
        ).fetchone()
    if row is None:
        return 0.0
    in_burst = row["gap"] is not None and row["gap"] < BURST_GAP
    if not in_burst and not is_opener(row["content"] or "", bool(row["has_media"])):
        return 0.0
    remaining = window - float(row["age"])
    if remaining > 0:
        time.sleep(remaining)
    return max(remaining, 0.0)
