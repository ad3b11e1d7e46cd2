"""The WhatsApp webhook's work: verify, identify the business, store, publish. No AI here."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from duka import publishing
from duka.config import get_settings
from duka.db.pool import transaction
from duka.errors import NotAuthentic, Rejected
from duka.logs import log
from duka.store import businesses, conversations, messages
from duka.whatsapp import bare_number, signature_is_valid

logger = logging.getLogger(__name__)

MAX_MEDIA = 10
# WhatsApp caps a text at 4,096 characters; anything longer was not sent by WhatsApp.
MAX_BODY_CHARS = 4096
MAX_FIELD_CHARS = 2048
_WHATSAPP_NUMBER = re.compile(r"\+?\d{7,15}")


class ForgedSignature(NotAuthentic):
    """The request was not signed by Twilio with our auth token."""


class MalformedWebhook(Rejected):
    """A required Twilio field is missing."""


@dataclass(frozen=True)
class InboundAccepted:
    business_id: str
    conversation_id: str
    message_id: str
    duplicate: bool


def _attachments(form: Mapping[str, str]) -> list[dict[str, Any]]:
    raw = (form.get("NumMedia") or "0").strip()
    if not raw.isdigit():
        raise MalformedWebhook("NumMedia must be a whole number")
    return [
        {
            "url": form[f"MediaUrl{i}"][:MAX_FIELD_CHARS],
            "content_type": form.get(f"MediaContentType{i}", "")[:MAX_FIELD_CHARS],
        }
        for i in range(min(int(raw), MAX_MEDIA))
        if form.get(f"MediaUrl{i}")
    ]


def _tap(form: Mapping[str, str]) -> dict[str, str] | None:
    """A tapped quick-reply button (ButtonPayload/ButtonText) or list row (ListId/ListTitle):
    the payload we gave the option, and the title the customer saw."""
    payload = form.get("ButtonPayload") or form.get("ListId")
    if not payload:
        return None
    title = form.get("ButtonText") or form.get("ListTitle") or form.get("Body") or ""
    return {"payload": payload[:MAX_FIELD_CHARS], "title": title[:MAX_FIELD_CHARS]}


def _clean(form: Mapping[str, str]) -> dict[str, str]:
    """Text PostgreSQL can store (no NUL characters), checked only after the signature."""
    return {key: value.replace("\x00", "") for key, value in form.items()}


def accept_inbound(form: Mapping[str, str], signature: str | None) -> InboundAccepted:
    """Store a customer's message exactly once and queue it for processing."""
    if not signature_is_valid(get_settings().whatsapp_webhook_url, form, signature):
        raise ForgedSignature("X-Twilio-Signature does not match")
    form = _clean(form)
    sid, to, sender = form.get("MessageSid"), form.get("To"), form.get("From")
    if not sid or not to or not sender:
        raise MalformedWebhook("MessageSid, To and From are required")
    if len(sid) > MAX_FIELD_CHARS or not _WHATSAPP_NUMBER.fullmatch(bare_number(sender)):
        raise MalformedWebhook("MessageSid or From is not what Twilio sends")
    attachments = _attachments(form)

    with transaction() as conn:
        business_id = businesses.enter_business_by_whatsapp(conn, bare_number(to))
        if business_id is None:
            log(logger, logging.WARNING, "message for unknown business number", to=to, sid=sid)
            raise businesses.UnknownBusiness(bare_number(to))
        profile_name = form.get("ProfileName", "")[:200] or None
        conversation = conversations.get_or_create_conversation(
            conn, business_id, bare_number(sender), profile_name
        )
        conversation_id = str(conversation["id"])
        stored = messages.insert_inbound(
            conn,
            business_id=business_id,
            conversation_id=conversation_id,
            external_id=sid,
            content=form.get("Body", "")[:MAX_BODY_CHARS],
            attachments=attachments,
            profile_name=profile_name,
            tap=_tap(form),
        )
    ids = {"business_id": business_id, "conversation_id": conversation_id, "message_id": stored.id}
    if stored.answered:
        log(logger, logging.INFO, "duplicate MessageSid ignored", sid=sid, **ids)
        return InboundAccepted(duplicate=True, **ids)
    # A repeat of an unanswered message is published again: if the first publish was lost this
    # recovers it, and processing the same message twice is harmless.
    publish_inbound(**ids)
    log(
        logger, logging.INFO, "inbound message stored", sid=sid, duplicate=not stored.created, **ids
    )
    return InboundAccepted(duplicate=not stored.created, **ids)


def publish_inbound(business_id: str, conversation_id: str, message_id: str) -> bool:
    """Publish; a failure is logged and left for the sweep, which republishes unanswered ones."""
    payload = {
        "business_id": business_id,
        "conversation_id": conversation_id,
        "message_id": message_id,
    }
    return publishing.publish_or_defer(
        publishing.INBOUND_MESSAGES,
        payload,
        level=logging.ERROR,
        deferred="publish failed; the sweep will republish",
    )
