"""The `broadcasts` scheduled job: send each unfinished broadcast to its next recipients, as many
as the number's daily messaging limit leaves room for; the rest wait for a later run.

Each recipient is claimed in its tenant's transaction, under a per-boutique advisory lock (so
concurrent runs count the limit one at a time): her consent is read again (an opt-out since
Send skips her, never sent), the limit is checked, the row is claimed with a conditional
UPDATE, her cards are queued (`proactive`, with the `broadcast_product` template) and the
attribution touch is recorded, all in that one transaction. Messages are sent after commit. A
run that dies after the commit leaves her messages pending: the next run delivers them first,
and `outbound.deliver_pending` never sends a message twice (it asks Twilio about one whose send
had started). A broadcast is finished once no one waits and nothing it queued is unsent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from duka.broadcasts import cards, limits
from duka.db.pool import Connection, tenant_transaction, transaction
from duka.logs import log
from duka.orders.attribution import record_touch
from duka.outbound import deliver_pending, queue_reply
from duka.store import consent, conversations
from duka.whatsapp import SendFailedTransient

logger = logging.getLogger(__name__)

MAX_BROADCASTS = 50
PER_RUN = 100  # recipients per broadcast per run; the job runs every minute
# Her messages of this broadcast still to be sent (a run that died before sending them).
_UNSENT = (
    "SELECT DISTINCT r.conversation_id FROM broadcast_recipients r"
    " JOIN messages m ON m.conversation_id = r.conversation_id"
    "  AND m.metadata->>'broadcast_id' = r.broadcast_id::text AND m.delivery_status = 'pending'"
    " WHERE r.broadcast_id = %s AND r.state = 'queued'"
)


@dataclass
class BroadcastRun:
    queued: int = 0
    skipped: int = 0  # opted out since Send, or nothing left to show her
    limited: int = 0  # broadcasts that stopped at the daily limit


def run_broadcasts(per_run: int = PER_RUN) -> BroadcastRun:
    """One pass over every tenant's unfinished broadcasts."""
    with transaction() as conn:
        unfinished = conn.execute(
            "SELECT * FROM broadcasts_unfinished(%s)", (MAX_BROADCASTS,)
        ).fetchall()
    run = BroadcastRun()
    for row in unfinished:
        _send_some(str(row["business_id"]), str(row["broadcast_id"]), per_run, run)
    if unfinished:
        log(logger, logging.INFO, "broadcasts run", broadcasts=len(unfinished), **vars(run))
    return run


def _send_some(business_id: str, broadcast_id: str, per_run: int, run: BroadcastRun) -> None:
    with tenant_transaction(business_id) as conn:
        leftovers = [str(r["conversation_id"]) for r in conn.execute(_UNSENT, (broadcast_id,))]
    for conversation_id in leftovers:
        _deliver(business_id, broadcast_id, conversation_id)
    for _ in range(per_run):
        outcome = _claim_next(business_id, broadcast_id)
        if outcome is None:
            break
        kind, conversation_id = outcome
        if kind == "limited":
            run.limited += 1
            break
        if kind == "skipped":
            run.skipped += 1
            continue
        run.queued += 1
        _deliver(business_id, broadcast_id, conversation_id)
    _finish_if_done(business_id, broadcast_id)


def _claim_next(business_id: str, broadcast_id: str) -> tuple[str, str] | None:
    """('queued' | 'skipped' | 'limited', her conversation), or None: no one waits, or the
    broadcast is no longer sending."""
    with tenant_transaction(business_id) as conn:
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("broadcasts:" + business_id,)
        )
        broadcast = conn.execute(
            "SELECT b.id, b.status, b.product_ids, s.name AS shop, s.settings FROM broadcasts b"
            " JOIN businesses s ON s.id = b.business_id WHERE b.id = %s",
            (broadcast_id,),
        ).fetchone()
        if broadcast is None or broadcast["status"] != "sending":
            return None
        recipient = conn.execute(
            "SELECT * FROM broadcast_recipients WHERE broadcast_id = %s AND state = 'pending'"
            " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
            (broadcast_id,),
        ).fetchone()
        if recipient is None:
            return None
        conversation_id = str(recipient["conversation_id"])
        phone = str(recipient["customer_phone"])
        if not consent.marketing_allowed(conn, business_id, phone):
            _skip(conn, recipient)  # STOP (or no opt-in any more) since Send: never sent
            return "skipped", conversation_id
        if limits.customers_reached(conn, business_id) >= limits.daily_limit(broadcast["settings"]):
            return "limited", conversation_id
        shown = [
            cards.card(p, str(broadcast["shop"]))
            for p in cards.products(conn, [str(p) for p in broadcast["product_ids"]])
            if int(p["stock"]) > 0
        ]
        if not shown:  # archived or sold out since Send
            _skip(conn, recipient)
            return "skipped", conversation_id
        claimed = conn.execute(
            "UPDATE broadcast_recipients SET state = 'queued', queued_at = now()"
            " WHERE id = %s AND state = 'pending' RETURNING id",
            (recipient["id"],),
        ).fetchone()
        if claimed is None:
            return None
        language = conversations.reply_language(conn, conversation_id)
        first = [
            _queue(conn, business_id, broadcast_id, conversation_id, c, language) for c in shown
        ]
        conn.execute(
            "UPDATE broadcast_recipients SET message_id = %s WHERE id = %s",
            (first[0], recipient["id"]),
        )
        record_touch(
            conn, business_id=business_id, customer_phone=phone, kind="broadcast", ref=broadcast_id
        )
        return "queued", conversation_id


def _skip(conn: Connection, recipient: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE broadcast_recipients SET state = 'skipped' WHERE id = %s AND state = 'pending'",
        (recipient["id"],),
    )


def _queue(
    conn: Connection,
    business_id: str,
    broadcast_id: str,
    conversation_id: str,
    card: cards.Card,
    language: str,
) -> str:
    """Queue one card. Delivery goes oldest first, and now() is one instant for the whole
    transaction, so each card is stamped with the clock: they arrive in the owner's order."""
    message_id = queue_reply(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        text=card.text(language),
        media_urls=[card.photo] if card.photo else (),
        metadata={
            "kind": "broadcast",
            "broadcast_id": broadcast_id,
            "product_id": card.product_id,
            "proactive": True,
            "template": card.metadata(),
        },
    )
    conn.execute("UPDATE messages SET created_at = clock_timestamp() WHERE id = %s", (message_id,))
    return message_id


def _deliver(business_id: str, broadcast_id: str, conversation_id: str) -> None:
    """Send what is queued for her; a Twilio outage leaves it for the next run."""
    try:
        deliver_pending(business_id, conversation_id)
    except SendFailedTransient as exc:
        log(
            logger,
            logging.WARNING,
            "broadcast card not sent yet; the next run sends it",
            error=str(exc),
            business_id=business_id,
            broadcast_id=broadcast_id,
            conversation_id=conversation_id,
        )


def _finish_if_done(business_id: str, broadcast_id: str) -> None:
    with tenant_transaction(business_id) as conn:
        conn.execute(
            "UPDATE broadcasts b SET finished_at = now(),"
            " status = CASE WHEN status = 'sending' THEN 'done' ELSE status END"
            " WHERE id = %s AND finished_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM broadcast_recipients r"
            "                 WHERE r.broadcast_id = b.id AND r.state = 'pending')"
            f" AND NOT EXISTS ({_UNSENT})",
            (broadcast_id, broadcast_id),
        )
