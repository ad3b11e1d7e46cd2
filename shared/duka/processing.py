"""process_message's work: answer a conversation's unanswered messages once, then deliver."""

from __future__ import annotations

import logging
import time
from typing import Any

from duka.bursts import wait_for_burst
from duka.db.pool import tenant_transaction
from duka.logs import log
from duka.orchestrator.run import run_turn
from duka.replies import split_reply
from duka.store import businesses, conversations, messages
from duka.whatsapp import SendRejected, send_whatsapp

logger = logging.getLogger(__name__)


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
        if not inbound or conversation["status"] == "handed_over":
            return
        business = businesses.get_business(conn, business_id)
        assert business is not None
        queue_ms = max(0.0, (time.time() - inbound[0]["created_at"].timestamp()) * 1000)
        result = run_turn(conn, business, conversation, inbound)
        result.record["queue_ms"] = round(queue_ms, 1)
        answers = [str(m["id"]) for m in inbound]
        for index, part in enumerate(split_reply(result.text)):
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


def deliver_pending(business_id: str, conversation_id: str) -> None:
    """Send stored replies one at a time, each marked in its own transaction."""
    while True:
        with tenant_transaction(business_id) as conn:
            conversation = conversations.lock_conversation(conn, conversation_id)
            pending = messages.pending_outbound(conn, conversation_id)
            if conversation is None or not pending:
                return
            business = businesses.get_business(conn, business_id)
            assert business is not None
            message = pending[0]
            ids = {
                "business_id": business_id,
                "conversation_id": conversation_id,
                "message_id": str(message["id"]),
            }
            started = time.perf_counter()
            try:
                sent = send_whatsapp(
                    from_number=business["whatsapp_number"],
                    to_number=message["metadata"].get("to") or conversation["customer_phone"],
                    body=message["content"],
                    media_urls=[a["url"] for a in message["attachments"] if a.get("url")],
                )
            except SendRejected as exc:
                messages.mark_failed(conn, str(message["id"]), str(exc))
                log(logger, logging.ERROR, "reply rejected by Twilio", error=str(exc), **ids)
                continue
            send_ms = (time.perf_counter() - started) * 1000
            messages.mark_sent(conn, str(message["id"]), sent.sid, send_ms)
            log(logger, logging.INFO, "reply sent", twilio_sid=sent.sid, **ids)
