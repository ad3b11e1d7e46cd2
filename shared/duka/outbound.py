"""The one outbound path: every conversation message a customer (or owner alert) gets goes here.

Callers queue a message inside their own transaction (`queue_reply`), so it is committed with
whatever it reports, then call `deliver_pending` after commit. Delivery sends each stored
message exactly once: the start of a send is committed before Twilio is called, so if the run
dies after Twilio took the message but before it was marked sent, the next run finds the mark,
asks Twilio whether the message went out, and records it instead of sending it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from duka.db.pool import Connection, tenant_transaction
from duka.logs import log, redact
from duka.phone import phone_numbers_in
from duka.store import businesses, conversations, messages
from duka.whatsapp import SendFailedTransient, SendRejected, find_sent, send_whatsapp

logger = logging.getLogger(__name__)

MAX_WHATSAPP_CHARS = 1600  # WhatsApp's cap on one message
# WhatsApp only delivers free text within 24 hours of the customer's last message.
SESSION_WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW = (
    "not sent: more than 24 hours since the customer last wrote, so WhatsApp only allows an "
    "approved template; reply when they write again"
)
HISTORY_CHECKED_FOR_NUMBERS = 50


def split_reply(text: str, limit: int = MAX_WHATSAPP_CHARS) -> list[str]:
    """Split at line breaks (then spaces) so no part exceeds the limit; never mid-word."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts or [""]


def redact_reply(
    conn: Connection, business: dict[str, Any], conversation: dict[str, Any], text: str
) -> str:
    """What a composed reply must not carry (secrets, other people's numbers), masked.

    Applied to the agent's replies, whose text a model wrote; owner replies and templated
    notices are sent as written.
    """
    return redact(text, keep_phones=_customers_own_numbers(conn, business, conversation))


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


def queue_reply(
    conn: Connection,
    *,
    business_id: str,
    conversation_id: str,
    text: str,
    answers: Sequence[str] = (),
    media_urls: Sequence[str] = (),
    role: str = "agent",
    metadata: dict[str, Any] | None = None,
    to: str | None = None,
) -> str:
    """Store `text` as pending message(s) in the caller's transaction; returns the first's id.

    A text over WhatsApp's limit is split; the first part carries the media, the metadata and
    the customer messages it answers. `to` sends to another number (an owner alert) instead of
    the conversation's customer, on every part.
    """
    address = {"to": to} if to else {}
    ids = [
        messages.insert_outbound_intent(
            conn,
            business_id=business_id,
            conversation_id=conversation_id,
            content=part,
            media_urls=media_urls if index == 0 else (),
            answers=answers if index == 0 else (),
            role=role,
            metadata={**(metadata or {}), **address} if index == 0 else dict(address),
        )
        for index, part in enumerate(split_reply(text))
    ]
    return ids[0]


def deliver_pending(business_id: str, conversation_id: str) -> None:
    """Send stored messages one at a time, oldest first, each marked in its own transaction.

    Raises `SendFailedTransient` when Twilio cannot take a message now; the caller retries
    (Pub/Sub redelivers, or the owner presses "Send again").
    """
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
