"""Background relays: publish the outbox, and republish inbound messages never published."""

from __future__ import annotations

import logging
import os

from duka import events
from duka.config import ConfigError
from duka.db.pool import transaction
from duka.inbound import publish_inbound
from duka.logs import log
from duka.store import outbox

logger = logging.getLogger(__name__)

DEFAULT_UNANSWERED_AFTER_S = 60


def unanswered_after_s() -> int:
    """SWEEP_UNANSWERED_AFTER_SECONDS: how long a stored message may wait before republishing."""
    raw = os.environ.get("SWEEP_UNANSWERED_AFTER_SECONDS", "")
    try:
        return int(raw) if raw else DEFAULT_UNANSWERED_AFTER_S
    except ValueError as exc:
        raise ConfigError(
            f"SWEEP_UNANSWERED_AFTER_SECONDS must be whole seconds, got {raw!r}"
        ) from exc


def relay_outbox(max_rows: int = 500) -> int:
    """Publish pending outbox events; returns how many were published."""
    with transaction() as conn:
        rows = outbox.pending(conn, max_rows)
    published: list[int] = []
    try:
        for row in rows:
            events.publish(row["topic"], row["payload"])
            published.append(int(row["id"]))
    finally:
        if published:
            with transaction() as conn:
                outbox.mark_published(conn, published)
    return len(published)


def sweep_unanswered_inbound(older_than_seconds: int | None = None, max_rows: int = 500) -> int:
    """Republish customer messages still unanswered (stored while Pub/Sub was unreachable).

    Dead-lettered messages are left out: Pub/Sub already gave up on them and the owner was told.
    """
    if older_than_seconds is None:
        older_than_seconds = unanswered_after_s()
    with transaction() as conn:
        rows = conn.execute(
            "SELECT * FROM unanswered_inbound(make_interval(secs => %s), %s)",
            (older_than_seconds, max_rows),
        ).fetchall()
    count = 0
    for row in rows:
        if publish_inbound(
            str(row["business_id"]), str(row["conversation_id"]), str(row["message_id"])
        ):
            count += 1
    if rows:
        log(logger, logging.WARNING, "republished unanswered inbound messages", count=count)
    return count
