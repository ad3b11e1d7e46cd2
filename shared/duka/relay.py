"""Background relays: publish the outbox, republish inbound messages never published, and
deliver outbound messages whose send failed for now and that nothing else will retry."""

from __future__ import annotations

import logging
from datetime import timedelta

from duka import publishing
from duka.config import get_settings
from duka.db.pool import transaction
from duka.inbound import publish_inbound
from duka.logs import log
from duka.outbound import deliver_pending
from duka.store import outbox
from duka.whatsapp import SendFailedTransient

logger = logging.getLogger(__name__)

# A writer publishes its event right after its commit; the sweep takes over only after this.
OUTBOX_GRACE_SECONDS = 10


def relay_outbox(max_rows: int = 500, older_than_seconds: float = 0) -> int:
    """Publish pending outbox events; returns how many were published. The scheduled sweep
    passes a grace (`OUTBOX_GRACE_SECONDS`) so it only publishes what its writer could not."""
    with transaction() as conn:
        rows = outbox.pending(conn, max_rows, timedelta(seconds=older_than_seconds))
    published: list[int] = []
    try:
        for row in rows:
            publishing.publish(row["topic"], row["payload"])
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
        older_than_seconds = get_settings().sweep_unanswered_after_seconds
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


def sweep_undelivered_outbound(older_than_seconds: int | None = None, max_rows: int = 200) -> int:
    """Deliver messages still pending this long: a job's follow-up, alert or card whose send
    failed for now (the job already claimed its work, so no redelivery sends it). A chat whose
    send fails again is left for the next sweep; `deliver_pending` never sends one twice."""
    if older_than_seconds is None:
        older_than_seconds = get_settings().sweep_unanswered_after_seconds
    with transaction() as conn:
        rows = conn.execute(
            "SELECT * FROM undelivered_outbound(make_interval(secs => %s), %s)",
            (older_than_seconds, max_rows),
        ).fetchall()
    delivered = 0
    for row in rows:
        try:
            deliver_pending(str(row["business_id"]), str(row["conversation_id"]))
            delivered += 1
        except SendFailedTransient as exc:
            log(
                logger,
                logging.WARNING,
                "undelivered message still not sent; next sweep",
                conversation_id=str(row["conversation_id"]),
                error=str(exc),
            )
    if rows:
        log(logger, logging.WARNING, "delivered messages left pending", chats=delivered)
    return delivered
