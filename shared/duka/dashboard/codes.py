"""One-time sign-in codes, sent to the owner's WhatsApp through their boutique's number.

Codes have 8 digits, live 10 minutes and work once; only a keyed hash is stored, and only after
WhatsApp accepted the message. Every request and every wrong code is counted in the database
per phone, per client IP and platform-wide (`login_attempts`, migration 011), for owners and
strangers alike, so the answers never tell whether a phone owns a boutique; the request's answer
also comes after a fixed time budget whatever happened. The code always goes as the approved
*authentication* template (`duka.whatsapp_templates`): an owner rarely has written to their
own boutique in the last 24 hours, and WhatsApp delivers nothing else outside that window.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from datetime import timedelta
from enum import StrEnum

from psycopg.types.json import Jsonb

from duka.config import get_settings
from duka.dashboard.owners import OwnedBusiness, owned_businesses
from duka.db.pool import transaction
from duka.errors import Rejected
from duka.logs import log
from duka.whatsapp import SendFailedTransient, SendRejected, send_whatsapp
from duka.whatsapp_content import template_message
from duka.whatsapp_templates import SIGN_IN_CODE

logger = logging.getLogger(__name__)

CODE_DIGITS = 8
CODE_VALID_FOR = timedelta(minutes=10)


@dataclass(frozen=True)
class RequestLimits:
    """Code requests (each one is a WhatsApp message), counted whether or not it was sent."""

    phone_max: int = 5
    phone_window: timedelta = timedelta(minutes=15)
    ip_max: int = 20
    ip_window: timedelta = timedelta(hours=1)
    global_max: int = 1000
    global_window: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class GuessLimits:
    """Wrong codes; the per-phone daily cap is what bounds guessing (see the README)."""

    per_code_max: int = 5
    phone_max: int = 20
    phone_window: timedelta = timedelta(hours=24)
    ip_max: int = 30
    ip_window: timedelta = timedelta(hours=1)
    global_max: int = 2000
    global_window: timedelta = timedelta(hours=1)


REQUEST_LIMITS = RequestLimits()
GUESS_LIMITS = GuessLimits()
# Sends finish here while the request waits out its time budget.
_senders = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sign-in-code")


class TooManyCodes(Rejected):
    """Too many codes were asked for (this phone, this network, or everyone): wait."""


class Verification(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # not the live code, or there is none (expired, used, never sent)
    LOCKED = "locked"  # too many wrong codes since the last one was asked for
    RATE_LIMITED = "rate_limited"  # too many wrong codes today / from this network / in all


def _limits(limits: RequestLimits | GuessLimits) -> Jsonb:
    return Jsonb(
        {
            k: f"{int(v.total_seconds())} seconds" if isinstance(v, timedelta) else v
            for k, v in asdict(limits).items()
        }
    )


def code_hash(phone: str, code: str) -> str:
    key = get_settings().require_dashboard_session_key().encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def request_code(phone: str, client_ip: str) -> None:
    """Send a fresh code if `phone` owns a boutique; to the caller, every phone looks the same.

    Raises TooManyCodes over a limit (counted for owners and strangers alike). Otherwise returns
    once the sign-in time budget has passed, whether a code was sent, failed or never existed.
    """
    answer_at = time.monotonic() + get_settings().dashboard_sign_in_budget_ms / 1000
    with transaction() as conn:
        row = conn.execute(
            "SELECT owner_login_request(%s, %s, %s) AS status",
            (phone, client_ip, _limits(REQUEST_LIMITS)),
        ).fetchone()
        businesses = owned_businesses(conn, phone)
    if row is None or row["status"] == "rate_limited":
        raise TooManyCodes("Too many codes were requested. Wait 15 minutes and try again.")
    if businesses:
        sending = _senders.submit(_send_and_store, phone, businesses[0])
        try:
            sending.result(timeout=max(0.0, answer_at - time.monotonic()))
        except FutureTimeout:
            log(logger, logging.WARNING, "sign-in code still sending when the answer was due")
        except Exception as exc:  # the answer must not depend on the send: log, answer alike
            log(logger, logging.ERROR, "sign-in code failed", error=repr(exc))
    else:
        log(logger, logging.INFO, "sign-in code asked for a phone that owns no boutique")
    time.sleep(max(0.0, answer_at - time.monotonic()))


def _send_and_store(phone: str, sender: OwnedBusiness) -> None:
    """Send first, then store the hash: a refused send leaves no code that could be guessed."""
    code = new_code()
    try:
        with transaction() as conn:
            content = template_message(conn, SIGN_IN_CODE, {"1": code}, "en")
        send_whatsapp(
            from_number=sender.whatsapp_number,
            to_number=phone,
            body=content.text,
            content_sid=content.content_sid,
            content_variables=content.variables,
        )
    except (SendFailedTransient, SendRejected) as exc:
        log(logger, logging.WARNING, "sign-in code not sent", error=str(exc))
        return
    with transaction() as conn:
        conn.execute(
            "SELECT owner_login_code_store(%s, %s, %s)",
            (phone, code_hash(phone, code), CODE_VALID_FOR),
        )
    fields = {"business_id": sender.business_id}
    if get_settings().is_local:
        fields["code"] = code  # locally the log is the owner's phone; never elsewhere
    log(logger, logging.INFO, "sign-in code sent", **fields)


def verify_code(phone: str, code: str, client_ip: str) -> Verification:
    digits = "".join(ch for ch in code if ch.isdigit())
    with transaction() as conn:
        row = conn.execute(
            "SELECT owner_login_verify(%s, %s, %s, %s) AS result",
            (phone, code_hash(phone, digits), client_ip, _limits(GUESS_LIMITS)),
        ).fetchone()
    return Verification(row["result"] if row else "rate_limited")
