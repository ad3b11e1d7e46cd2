"""Rate limits: how much one customer, one boutique, or one phone's M-Pesa prompts may ask of us.

Counts come from the rows we store anyway (customer messages, payment attempts), so limits hold
across function instances without another store. A customer over a limit gets one short notice
a minute and the agent does not run (no model call, no tools); every message stays stored for
the owner.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from duka.config import ConfigError
from duka.db.pool import Connection
from duka.store import messages

WINDOW_SECONDS = 60
STK_WINDOW = "1 hour"


class Limited(StrEnum):
    CUSTOMER = "customer"
    BUSINESS = "business"


@dataclass(frozen=True)
class RateLimits:
    customer_per_minute: int = 20
    business_per_minute: int = 600
    stk_pushes_per_phone_per_hour: int = 5

    @classmethod
    def from_env(cls) -> RateLimits:
        return cls(
            customer_per_minute=_env_int("RATE_LIMIT_CUSTOMER_PER_MINUTE", cls.customer_per_minute),
            business_per_minute=_env_int("RATE_LIMIT_BUSINESS_PER_MINUTE", cls.business_per_minute),
            stk_pushes_per_phone_per_hour=_env_int(
                "STK_PUSHES_PER_PHONE_PER_HOUR", cls.stk_pushes_per_phone_per_hour
            ),
        )


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


NOTICES: dict[Limited, dict[str, str]] = {
    Limited.CUSTOMER: {
        "en": "You're sending messages faster than I can read them 🙏 Please wait a minute, "
        "then send your question again in one message.",
        "sw": "Unatuma jumbe haraka kuliko ninavyoweza kusoma 🙏 Tafadhali subiri dakika moja, "
        "kisha tuma swali lako tena kwa ujumbe mmoja.",
    },
    Limited.BUSINESS: {
        "en": "We're receiving a lot of messages right now 🙏 Please send your question again "
        "in a few minutes.",
        "sw": "Tunapokea jumbe nyingi sana sasa hivi 🙏 Tafadhali tuma swali lako tena baada ya "
        "dakika chache.",
    },
}


def notice(limited: Limited, language: str | None) -> str:
    texts = NOTICES[limited]
    return texts["en"] if language in (None, "en") else texts["sw"]


def inbound_limit(
    conn: Connection,
    business_id: str,
    conversation_id: str,
    newest: datetime,
    limits: RateLimits | None = None,
) -> Limited | None:
    """Which limit the message stored at `newest` broke, if any.

    Counted in arrival order (the messages of the minute up to it), so the first messages of a
    busy minute are served and only those beyond the limit are not.
    """
    limits = limits or RateLimits.from_env()
    sent = messages.customer_messages_before(conn, conversation_id, newest, WINDOW_SECONDS)
    if sent > limits.customer_per_minute:
        return Limited.CUSTOMER
    shop = messages.business_customer_messages_before(conn, business_id, newest, WINDOW_SECONDS)
    if shop > limits.business_per_minute:
        return Limited.BUSINESS
    return None


def stk_push_allowed(conn: Connection, phone: str, limits: RateLimits | None = None) -> bool:
    """Whether another M-Pesa prompt may go to `phone` this hour (across every boutique).

    Holds a transaction lock on the phone until commit, so concurrent checkouts cannot both
    take the last prompt; call it in the transaction that records the attempt.
    """
    limits = limits or RateLimits.from_env()
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('stk-push:' || %s))", (phone,))
    row = conn.execute(
        "SELECT stk_pushes_to_phone(%s, %s::interval) AS n", (phone, STK_WINDOW)
    ).fetchone()
    return row is not None and int(row["n"]) < limits.stk_pushes_per_phone_per_hour
