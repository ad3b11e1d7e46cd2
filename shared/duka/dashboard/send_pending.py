"""Sending an owner action's pending WhatsApp replies at once, from the dashboard request.

If WhatsApp does not answer, the replies stay pending: the owner is told so, and "Send again"
on the chat (or the sweep job) delivers them later.
"""

from __future__ import annotations

import logging

from flask import flash

from duka.logs import log
from duka.outbound import deliver_pending
from duka.whatsapp import SendFailedTransient

logger = logging.getLogger(__name__)


def send_pending_or_flash(
    business_id: str, conversation_id: str, *, not_sent: str, owner_told: str
) -> bool:
    """Deliver the conversation's pending replies; False (logged as `not_sent`, flashed as
    `owner_told`) when WhatsApp failed for now."""
    try:
        deliver_pending(business_id, conversation_id)
    except SendFailedTransient as exc:
        log(
            logger,
            logging.WARNING,
            not_sent,
            error=str(exc),
            business_id=business_id,
            conversation_id=conversation_id,
        )
        flash(owner_told, "error")
        return False
    return True
