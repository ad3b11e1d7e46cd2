"""process_message's work: answer a conversation's unanswered messages once, then deliver.

Under the conversation's lock a turn answers every unanswered message and hands its reply to
`duka.outbound`, which stores it in the same transaction and, after commit, sends it once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from duka import consent, outbound, ratelimit
from duka.bursts import wait_for_burst
from duka.db.pool import Connection, tenant_transaction
from duka.logs import log
from duka.orchestrator.run import run_turn
from duka.orchestrator.state import ConversationState
from duka.store import businesses, conversations, messages

logger = logging.getLogger(__name__)

# Each topic's dead letters go to `<topic>-dead-letter` (see duka_local.stack.pubsub and Terraform).
DEAD_LETTER_SUFFIX = "-dead-letter"


def is_dead_letter(event_source: str) -> bool:
    """Whether a push came from a dead-letter topic (a CloudEvent source ends with the topic)."""
    return event_source.rstrip("/").endswith(DEAD_LETTER_SUFFIX)


def process_inbound_event(payload: dict[str, Any]) -> None:
    """Handle one inbound-messages event. Raises on transient failure so Pub/Sub redelivers."""
    business_id = payload.get("business_id")
    conversation_id = payload.get("conversation_id")
    if not business_id or not conversation_id:
        log(logger, logging.ERROR, "inbound event without ids; acknowledged", payload=payload)
        return
    wait_for_burst(business_id, payload.get("message_id"))
    answer_conversation(business_id, conversation_id)
    outbound.deliver_pending(business_id, conversation_id)


def record_dead_letter(payload: dict[str, Any]) -> None:
    """Pub/Sub gave up on an inbound event: flag it for the owner, and stop the sweep retrying."""
    business_id, conversation_id = payload.get("business_id"), payload.get("conversation_id")
    message_id = payload.get("message_id")
    ids = {"business_id": business_id, "conversation_id": conversation_id, "message_id": message_id}
    if not business_id or not conversation_id:
        log(logger, logging.ERROR, "dead-lettered inbound event without ids", payload=payload)
        return
    with tenant_transaction(business_id) as conn:
        if message_id:
            messages.mark_dead_lettered(conn, message_id)
        messages.flag_for_owner(conn, conversation_id, "processing_failed")
    log(
        logger,
        logging.ERROR,
        "inbound message dead-lettered after bounded retries; flagged for the owner",
        **ids,
    )


def answer_conversation(business_id: str, conversation_id: str) -> None:
    """Under the conversation's lock, store one reply covering every unanswered message."""
    with tenant_transaction(business_id) as conn:
        conversation = conversations.lock_conversation(conn, conversation_id)
        if conversation is None:
            log(
                logger,
                logging.ERROR,
                "conversation not found; acknowledged",
                business_id=business_id,
                conversation_id=conversation_id,
            )
            return
        inbound = messages.unanswered_inbound(conn, conversation_id)
        if not inbound:
            return
        conversation = conversations.note_customer_activity(conn, conversation_id, inbound[-1])
        # STOP / START are honoured even in a taken-over chat or over the rate limit.
        inbound = consent.answer_keywords(conn, business_id, conversation, inbound)
        if not inbound or conversation["status"] == "handed_over":
            return
        limited = ratelimit.inbound_limit(
            conn, business_id, conversation_id, inbound[-1]["created_at"]
        )
        if limited is not None:
            _answer_over_limit(conn, business_id, conversation, inbound, limited)
            return
        business = businesses.get_business(conn, business_id)
        assert business is not None
        queue_ms = max(0.0, (time.time() - inbound[0]["created_at"].timestamp()) * 1000)
        result = run_turn(conn, business, conversation, inbound)
        result.record["queue_ms"] = round(queue_ms, 1)
        text = outbound.redact_reply(conn, business, conversation, result.text)
        metadata = dict(result.record)
        media_urls, photos_after = result.media_urls, []
        if result.interactive is not None:  # the text keeps the choices, numbered or typed
            metadata["interactive"] = result.interactive.to_metadata(text)
            # A list or buttons carry no photo: the item's photo follows as its own message.
            media_urls, photos_after = [], result.media_urls
        outbound.queue_reply(
            conn,
            business_id=business_id,
            conversation_id=conversation_id,
            text=text,
            answers=[str(m["id"]) for m in inbound],
            media_urls=media_urls,
            metadata=metadata,
        )
        if photos_after:
            outbound.queue_reply(
                conn,
                business_id=business_id,
                conversation_id=conversation_id,
                text="",
                media_urls=photos_after,
                metadata={"intent": result.record.get("intent"), "photo_of_reply": True},
            )
        for extra in result.extra_messages:
            outbound.queue_reply(
                conn,
                business_id=business_id,
                conversation_id=conversation_id,
                text=extra["text"],
                role=extra.get("role", "system"),
                to=extra["to"],
                metadata={"template": extra["template"]} if extra.get("template") else None,
            )


def _answer_over_limit(
    conn: Connection,
    business_id: str,
    conversation: dict[str, Any],
    inbound: list[dict[str, Any]],
    limited: ratelimit.Limited,
) -> None:
    """One notice per window answers everything over the limit; the agent does not run."""
    conversation_id = str(conversation["id"])
    state = ConversationState.load(conversation)
    answers = [str(m["id"]) for m in inbound]
    notice_id, notice_at = state.rate_notice_id, state.rate_notice_at or 0
    if notice_id and time.time() - notice_at < ratelimit.WINDOW_SECONDS:
        messages.answer_silently(conn, answers, notice_id)
    else:
        state.rate_notice_id = outbound.queue_reply(
            conn,
            business_id=business_id,
            conversation_id=conversation_id,
            text=ratelimit.notice(limited, state.language),
            answers=answers,
            metadata={"intent": "rate_limited", "limit": limited.value},
        )
        state.rate_notice_at = time.time()
        conversations.save_metadata(conn, conversation_id, state.to_metadata())
    log(
        logger,
        logging.WARNING,
        "over the rate limit; the agent did not run",
        limit=limited.value,
        answered=len(answers),
        business_id=business_id,
        conversation_id=conversation_id,
    )
