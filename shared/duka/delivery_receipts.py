"""Twilio's status callbacks for messages we sent: verify, find the message, record, tell the owner.

Served by the whatsapp_inbound function at `/webhook/whatsapp/status`, each send names it as its
StatusCallback (`Settings.whatsapp_status_callback_url`). A callback for a message we do not
know (another sender on the account, a sign-in code) is acknowledged and ignored, so Twilio
does not retry it. The first failure of a message fails it in the thread, with the reason in
words, and flags the chat for the owner, once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from duka.config import get_settings
from duka.db.pool import transaction
from duka.inbound import ForgedSignature, MalformedWebhook
from duka.logs import log
from duka.store import businesses, message_status, messages
from duka.whatsapp import bare_number, signature_is_valid

logger = logging.getLogger(__name__)

# Twilio/WhatsApp error codes an owner can act on, in the owner's words.
FAILURE_REASONS = {
    63016: "outside the 24-hour window: the customer hasn't written for a day, so only a "
    "template can reach them",
    63024: "not a WhatsApp number",
    63003: "the number is not valid",
    21211: "the number is not valid",
    21614: "not a mobile number",
    63018: "WhatsApp limited how fast the shop can send; try again in a moment",
    63032: "the customer has blocked messages from the shop",
}
GENERIC_REASON = "WhatsApp could not deliver it"
MAX_SID_CHARS = 64


@dataclass(frozen=True)
class StatusOutcome:
    message_id: str | None  # None: not a message of ours, ignored
    status: str
    owner_told: bool = False


def failure_reason(code: int | None) -> str:
    """Why a message was not delivered, as the owner reads it."""
    reason = FAILURE_REASONS.get(code, GENERIC_REASON) if code is not None else GENERIC_REASON
    return f"{reason} (error {code})" if code is not None else reason


def _error_code(form: Mapping[str, str]) -> int | None:
    raw = (form.get("ErrorCode") or "").strip()
    return int(raw) if raw.isdigit() else None


def accept_status(form: Mapping[str, str], signature: str | None) -> StatusOutcome:
    """Record one status callback; raises `ForgedSignature` unless Twilio signed it."""
    if not signature_is_valid(get_settings().whatsapp_status_callback_url, form, signature):
        raise ForgedSignature("X-Twilio-Signature does not match")
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    sender, to = bare_number(form.get("From", "")), bare_number(form.get("To", ""))
    if not sid or not status or not sender or len(sid) > MAX_SID_CHARS:
        raise MalformedWebhook("MessageSid, MessageStatus and From are required")
    if status not in message_status.RANKS:  # accepted, scheduled, canceled…: nothing to show
        return StatusOutcome(None, status)
    code = _error_code(form)
    with transaction() as conn:
        business_id = businesses.enter_business_by_whatsapp(conn, sender)
        found = business_id and (
            message_status.sent_by_sid(conn, sid)
            or message_status.sent_by_sid_once_recorded(conn, sid, to)
        )
        if not business_id or not found:
            log(logger, logging.INFO, "status for an unknown message ignored", sid=sid)
            return StatusOutcome(None, status)
        message_id, conversation_id = found
        first_failure = message_status.record(conn, message_id, status, code)
        if first_failure:
            messages.mark_failed(conn, message_id, failure_reason(code))
            messages.flag_for_owner(conn, conversation_id, "reply_not_delivered")
    ids = {"business_id": business_id, "conversation_id": conversation_id, "message_id": message_id}
    if first_failure:
        log(
            logger,
            logging.ERROR,
            "message not delivered; the owner is told",
            sid=sid,
            error_code=code,
            **ids,
        )
    else:
        log(logger, logging.INFO, "message status recorded", sid=sid, status=status, **ids)
    return StatusOutcome(message_id, status, owner_told=first_failure)
