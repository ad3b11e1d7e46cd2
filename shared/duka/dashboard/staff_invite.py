"""The WhatsApp message that tells a new staff member they were added, from the shop's number.

Their 24-hour window with the shop is usually closed, so it goes as the `staff_invite` utility
template. It is sent after the grant has committed: a failed send leaves the access in place and
the owner is told to pass the link on herself.
"""

from __future__ import annotations

import logging

from flask import url_for

from duka.config import get_settings
from duka.db.pool import transaction
from duka.logs import log
from duka.whatsapp import SendFailedTransient, SendRejected, send_whatsapp
from duka.whatsapp_content import template_message
from duka.whatsapp_templates import STAFF_INVITE

logger = logging.getLogger(__name__)


def sign_in_link() -> str:
    return get_settings().dashboard_base_url + url_for("auth.login")


def send_invite(*, shop_name: str, shop_number: str, staff_phone: str) -> bool:
    """Whether WhatsApp took the message."""
    try:
        with transaction() as conn:
            content = template_message(
                conn, STAFF_INVITE, {"1": shop_name, "2": sign_in_link()}, "en"
            )
        send_whatsapp(
            from_number=shop_number,
            to_number=staff_phone,
            body=content.text,
            content_sid=content.content_sid,
            content_variables=content.variables,
        )
    except (SendFailedTransient, SendRejected) as exc:
        log(logger, logging.WARNING, "staff invite not sent", error=str(exc))
        return False
    return True
