"""process_message's work: answer a conversation's unanswered messages once, then deliver.

Delivery sends each stored reply exactly once. The start of a send is committed before Twilio
is called, so if the run dies after Twilio took the message but before it was marked sent, the
next run finds the mark, asks Twilio whether the message went out, and records it instead of
sending it twice.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from duka import ratelimit
from duka.bursts import wait_for_burst
from duka.db.pool import Connection, tenant_transaction
from duka.logs import log, phone_numbers_in, redact
from duka.orchestrator.run import run_turn
from duka.replies import split_reply
from duka.store import businesses, conversations, messages
from duka.whatsapp import SendFailedTransient, SendRejected, find_sent, send_whatsapp

logger = logging.getLogger(__name__)

# WhatsApp only delivers free text within 24 hours of the customer's last message.
SESSION_WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW = (
    "not sent: more than 24 hours since the customer last wrote, so WhatsApp only allows an "
    "approved template; reply when they write again"
)
HISTORY_CHECKED_FOR_NUMBERS = 50
# Each topic's dead letters go to `<topic>-dead-letter` (see duka.stack.pubsub and Terraform).
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
    deliver_pending(business_id, conversation_id)


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
        if conversation["status"] == "handed_over":
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
        text = redact(result.text, keep_phones=_customers_own_numbers(conn, business, conversation))
        answers = [str(m["id"]) for m in inbound]
        for index, part in enumerate(split_reply(text)):
            messages.insert_outbound_intent(
                conn,
                business_id=business_id,
                conversation_id=conversation_id,
                content=part,
                media_urls=result.media_urls if index == 0 else (),
                answers=answers if index == 0 else (),
                metadata=result.record if index == 0 else {},
            )
        for extra in result.extra_messages:
            messages.insert_outbound_intent(
                conn,
                business_id=business_id,
                conversation_id=conversation_id,
                content=extra["text"],
                answers=(),
                role=extra.get("role", "system"),
                metadata={"to": extra["to"]},
            )


def _customers_own_numbers(
    conn: Connection, business: dict[str, Any], conversation: dict[str, Any]
) -> set[str]:
    """Numbers a reply to this customer may show: theirs, the shop's, and any they wrote."""
    metadata = conversation.get("metadata") or {}
    own = {conversation["customer_phone"], business["whatsapp_number"], business.get("phone")}
    own.add(metadata.get("pay_phone"))
    for message in messages.recent_messages(
        conn, str(conversation["id"]), HISTORY_CHECKED_FOR_NUMBERS
    ):
        if message["role"] == "customer":
            own.update(phone_numbers_in(message["content"] or ""))
    return {number for number in own if number}


def _answer_over_limit(
    conn: Connection,
    business_id: str,
    conversation: dict[str, Any],
    inbound: list[dict[str, Any]],
    limited: ratelimit.Limited,
) -> None:
    """One notice per window answers everything over the limit; the agent does not run."""
    conversation_id = str(conversation["id"])
    metadata = dict(conversation.get("metadata") or {})
    answers = [str(m["id"]) for m in inbound]
    notice_id, notice_at = metadata.get("rate_notice_id"), metadata.get("rate_notice_at", 0)
    if notice_id and time.time() - float(notice_at) < ratelimit.WINDOW_SECONDS:
        messages.answer_silently(conn, answers, notice_id)
    else:
        metadata["rate_notice_id"] = messages.insert_outbound_intent(
            conn,
            business_id=business_id,
            conversation_id=conversation_id,
            content=ratelimit.notice(limited, metadata.get("language")),
            answers=answers,
            metadata={"intent": "rate_limited", "limit": limited.value},
        )
        metadata["rate_notice_at"] = time.time()
        conversations.save_metadata(conn, conversation_id, metadata)
    log(
        logger,
        logging.WARNING,
        "over the rate limit; the agent did not run",
        limit=limited.value,
        answered=len(answers),
        business_id=business_id,
        conversation_id=conversation_id,
    )


def deliver_pending(business_id: str, conversation_id: str) -> None:
    """Send stored replies one at a time, oldest first, each marked in its own transaction."""
    while True:
        with tenant_transaction(business_id) as conn:
            conversation = conversations.lock_conversation(conn, conversation_id)
            pending = messages.pending_outbound(conn, conversation_id) if conversation else []
            if conversation is None or not pending:
                return
            business = businesses.get_business(conn, business_id)
            assert business is not None
            _deliver_one(conn, business, conversation, pending[0])


def _deliver_one(
    conn: Connection,
    business: dict[str, Any],
    conversation: dict[str, Any],
    message: dict[str, Any],
) -> None:
    business_id, conversation_id = str(business["id"]), str(conversation["id"])
    message_id = str(message["id"])
    ids = {"business_id": business_id, "conversation_id": conversation_id, "message_id": message_id}
    to_number = message["metadata"].get("to") or conversation["customer_phone"]
    if to_number == conversation["customer_phone"] and _outside_window(conversation):
        _give_up(conn, message, OUTSIDE_WINDOW, ids)
        return
    attempted = message["send_attempted_at"]
    if attempted is not None:
        earlier = find_sent(
            from_number=business["whatsapp_number"],
            to_number=to_number,
            body=message["content"],
            since=attempted,
            exclude_sids=messages.sent_external_ids(conn, conversation_id),
        )
        if earlier is not None:
            messages.mark_sent(conn, message_id, earlier, 0.0)
            log(
                logger,
                logging.WARNING,
                "reply had already reached Twilio; recorded, not resent",
                twilio_sid=earlier,
                **ids,
            )
            return
    with tenant_transaction(business_id) as marker:  # committed before Twilio is called
        messages.record_send_attempt(marker, message_id)
    started = time.perf_counter()
    try:
        sent = send_whatsapp(
            from_number=business["whatsapp_number"],
            to_number=to_number,
            body=message["content"],
            media_urls=[a["url"] for a in message["attachments"] if a.get("url")],
        )
    except SendRejected as exc:
        _give_up(conn, message, str(exc), ids)
        return
    except SendFailedTransient as exc:
        log(
            logger,
            logging.WARNING,
            "reply not sent yet; retried with backoff",
            error=str(exc),
            **ids,
        )
        raise
    messages.mark_sent(conn, message_id, sent.sid, (time.perf_counter() - started) * 1000)
    log(logger, logging.INFO, "reply sent", twilio_sid=sent.sid, **ids)


def _outside_window(conversation: dict[str, Any]) -> bool:
    last = conversation.get("last_customer_message_at")
    return last is not None and datetime.now(UTC) - last > SESSION_WINDOW


def _give_up(conn: Connection, message: dict[str, Any], error: str, ids: dict[str, str]) -> None:
    """A permanent refusal: recorded on the message and shown to the owner, never retried."""
    messages.mark_failed(conn, str(message["id"]), error)
    messages.flag_for_owner(conn, str(message["conversation_id"]), "reply_not_delivered")
    log(logger, logging.ERROR, "reply not delivered; the owner is told", error=error, **ids)
