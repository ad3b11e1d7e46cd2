"""One-time sign-in codes, sent to the owner's WhatsApp through their boutique's number.

Codes live 10 minutes, work once, and a few wrong guesses burn them; only a keyed hash is
stored. In production WhatsApp delivers a business-initiated message outside the 24-hour window
only as an approved *authentication* template (see docs/dashboard.md).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from enum import StrEnum

from duka.config import get_settings
from duka.dashboard.owners import owned_businesses
from duka.db.pool import transaction
from duka.logs import log
from duka.whatsapp import SendFailedTransient, SendRejected, send_whatsapp

logger = logging.getLogger(__name__)

CODE_VALID_FOR = timedelta(minutes=10)
MAX_CODES_PER_WINDOW = 5
CODE_WINDOW = timedelta(minutes=15)
MAX_WRONG_GUESSES = 5


class TooManyCodes(Exception):
    """The owner asked for too many codes recently: wait, then ask again."""


class CodeNotSent(Exception):
    """WhatsApp did not take the message (transient or refused): try again shortly."""


class Verification(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # too many wrong guesses: the code no longer works
    NONE = "none"  # no live code: expired, used, or never sent


def code_hash(phone: str, code: str) -> str:
    key = get_settings().require_dashboard_session_key().encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def request_code(phone: str) -> None:
    """Send a fresh code if `phone` owns a boutique; silently nothing otherwise."""
    code = new_code()
    with transaction() as conn:
        row = conn.execute(
            "SELECT owner_login_code_create(%s, %s, %s, %s, %s) AS status",
            (phone, code_hash(phone, code), CODE_VALID_FOR, MAX_CODES_PER_WINDOW, CODE_WINDOW),
        ).fetchone()
        businesses = owned_businesses(conn, phone)
    status = row["status"] if row else "not_owner"
    if status == "not_owner" or not businesses:
        log(logger, logging.INFO, "sign-in code asked for a phone that owns no boutique")
        return
    if status == "rate_limited":
        raise TooManyCodes("Too many codes were requested. Wait 15 minutes and try again.")
    sender = businesses[0]
    body = (
        f"{code} is your {sender.name} dashboard sign-in code. It expires in 10 minutes. "
        "Never share it: nobody from Duka will ask for it."
    )
    try:
        send_whatsapp(from_number=sender.whatsapp_number, to_number=phone, body=body)
    except (SendFailedTransient, SendRejected) as exc:
        log(logger, logging.WARNING, "sign-in code not sent", error=str(exc))
        raise CodeNotSent("WhatsApp did not take the message. Try again in a minute.") from exc
    fields = {"business_id": sender.business_id}
    if get_settings().is_local:
        fields["code"] = code  # locally the log is the owner's phone; never in production
    log(logger, logging.INFO, "sign-in code sent", **fields)


def verify_code(phone: str, code: str) -> Verification:
    digits = "".join(ch for ch in code if ch.isdigit())
    with transaction() as conn:
        row = conn.execute(
            "SELECT owner_login_code_verify(%s, %s, %s) AS result",
            (phone, code_hash(phone, digits), MAX_WRONG_GUESSES),
        ).fetchone()
    return Verification(row["result"] if row else "none")
