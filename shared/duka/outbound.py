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

from duka import whatsapp_content
from duka.config import get_settings
from duka.db.pool import Connection, tenant_transaction
from duka.logs import log, redact
from duka.phone import phone_numbers_in
from duka.store import businesses, consent, conversations, messages
from duka.whatsapp import (
    SendFailedTransient,
    SendRejected,
    SentMessage,
    find_sent,
    send_whatsapp,
)
from duka.whatsapp_content import ContentMessage

logger = logging.getLogger(__name__)

MAX_WHATSAPP_CHARS = 1600  # WhatsApp's cap on one message
# WhatsApp only delivers free text within 24 hours of the customer's last message.
SESSION_WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW = (
    "not sent: more than 24 hours since the customer last wrote, so WhatsApp only allows an "
    "approved template; reply when they write again"
)
HISTORY_CHECKED_FOR_NUMBERS = 50
CONTENT_NOT_FOUND = 21655  # Twilio: "ContentSid … was not found"
# `delivery_error` of a proactive message refused because the customer opted out (STOP).
OPTED_OUT = (
    "opted out: the customer asked for no updates or offers (STOP), so only replies to their "
    "own messages are sent; this one never will be"
)


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
    if _refused_by_opt_out(conn, business_id, conversation, message, to_number):
        messages.mark_failed(conn, message_id, OPTED_OUT)
        log(logger, logging.INFO, "proactive message not sent: the customer opted out", **ids)
        return
    outside = _outside_window(conn, business_id, conversation, to_number)
    if outside and not message["metadata"].get("template"):
        _give_up(conn, message, OUTSIDE_WINDOW, ids)  # never free text outside the window
        return
    try:
        content = _content_to_send(conn, conversation, message, outside, ids)
    except SendRejected as exc:
        _give_up(conn, message, str(exc), ids)
        return
    attempted = message["send_attempted_at"]
    if attempted is not None:
        earlier = find_sent(
            from_number=business["whatsapp_number"],
            to_number=to_number,
            body=content.text if content else message["content"],
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
        try:
            sent = _send(business, to_number, message, content)
        except SendRejected as exc:
            if content is None or exc.code != CONTENT_NOT_FOUND:
                raise
            # Twilio no longer holds the recorded ContentSid (a restarted local sandbox, another
            # stack's): made again once. Twilio created nothing, so this is no second send.
            content = _content_to_send(conn, conversation, message, outside, ids, refresh=True)
            sent = _send(business, to_number, message, content)
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


def _send(
    business: dict[str, Any],
    to_number: str,
    message: dict[str, Any],
    content: ContentMessage | None,
) -> SentMessage:
    return send_whatsapp(
        from_number=business["whatsapp_number"],
        to_number=to_number,
        body=message["content"],
        media_urls=[a["url"] for a in message["attachments"] if a.get("url")],
        content_sid=content.content_sid if content else None,
        content_variables=content.variables if content else None,
        status_callback=get_settings().whatsapp_status_callback_url,  # delivery receipts
    )


def _refused_by_opt_out(
    conn: Connection,
    business_id: str,
    conversation: dict[str, Any],
    message: dict[str, Any],
    to_number: str,
) -> bool:
    """A proactive message (not a reply to what the customer just wrote) to a customer who
    said STOP: never sent, then or later. Owner alerts go to the owner and are not refused."""
    return (
        bool(message["metadata"].get("proactive"))
        and to_number == conversation["customer_phone"]
        and consent.opted_out(conn, business_id, to_number)
    )


def _content_to_send(
    conn: Connection,
    conversation: dict[str, Any],
    message: dict[str, Any],
    outside: bool,
    ids: dict[str, str],
    *,
    refresh: bool = False,
) -> ContentMessage | None:
    """Outside the window the message's template; inside it its interactive message, if it has
    one and no media (a list or buttons carry no photo); None: its own text.

    Raises SendRejected when Twilio refuses the template, SendFailedTransient when it cannot
    be reached. An interactive message Twilio cannot make goes as its plain text.
    """
    metadata = message["metadata"]
    language = (conversation.get("metadata") or {}).get("language")
    if outside:
        template = metadata["template"]
        return whatsapp_content.template_message(
            conn,
            template["name"],
            dict(template.get("variables") or {}),
            template.get("language") or language,
            refresh=refresh,
        )
    interactive = metadata.get("interactive")
    if not interactive or message["attachments"]:
        return None
    try:
        return whatsapp_content.interactive_message(
            conn, interactive, language or "en", refresh=refresh
        )
    except (SendRejected, SendFailedTransient, KeyError, TypeError) as exc:
        log(
            logger,
            logging.WARNING,
            "interactive message sent as plain text",
            error=repr(exc),
            **ids,
        )
        return None


def _outside_window(
    conn: Connection, business_id: str, conversation: dict[str, Any], to_number: str
) -> bool:
    """Whether WhatsApp would refuse free text to `to_number`. Another number (the owner, for
    an alert) has its own window: open only if it wrote to the shop's number in 24 hours, which
    its own conversation with the shop records."""
    if to_number == conversation["customer_phone"]:
        last = conversation.get("last_customer_message_at")
        return last is not None and datetime.now(UTC) - last > SESSION_WINDOW
    last = conversations.last_message_from(conn, business_id, to_number)
    return last is None or datetime.now(UTC) - last > SESSION_WINDOW


def _give_up(conn: Connection, message: dict[str, Any], error: str, ids: dict[str, str]) -> None:
    """A permanent refusal: recorded on the message and shown to the owner, never retried."""
    messages.mark_failed(conn, str(message["id"]), error)
    messages.flag_for_owner(conn, str(message["conversation_id"]), "reply_not_delivered")
    log(logger, logging.ERROR, "reply not delivered; the owner is told", error=error, **ids)
