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
PAYER_WINDOW = "24 hours"


class Limited(StrEnum):
    CUSTOMER = "customer"
    BUSINESS = "business"


@dataclass(frozen=True)
class RateLimits:
    customer_per_minute: int = 20
    business_per_minute: int = 600
    stk_pushes_per_phone_per_hour: int = 5
    # Paying from a number other than the customer's own WhatsApp number, per rolling day:
    other_payers_per_customer: int = 2  # distinct other numbers one customer may name
    customers_per_other_payer: int = 2  # distinct customers of a boutique naming one number

    @classmethod
    def from_env(cls) -> RateLimits:
        return cls(
            customer_per_minute=_env_int("RATE_LIMIT_CUSTOMER_PER_MINUTE", cls.customer_per_minute),
            business_per_minute=_env_int("RATE_LIMIT_BUSINESS_PER_MINUTE", cls.business_per_minute),
            stk_pushes_per_phone_per_hour=_env_int(
                "STK_PUSHES_PER_PHONE_PER_HOUR", cls.stk_pushes_per_phone_per_hour
            ),
            other_payers_per_customer=_env_int(
                "OTHER_PAYERS_PER_CUSTOMER_PER_DAY", cls.other_payers_per_customer
            ),
            customers_per_other_payer=_env_int(
                "CUSTOMERS_PER_OTHER_PAYER_PER_DAY", cls.customers_per_other_payer
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
    busy minute are served and only those beyond the limit are not. One sender counts toward
    the shop's limit with at most their own limit's worth, so a flood cannot silence the shop.
    """
    limits = limits or RateLimits.from_env()
    sent = messages.customer_messages_before(conn, conversation_id, newest, WINDOW_SECONDS)
    if sent > limits.customer_per_minute:
        return Limited.CUSTOMER
    shop = messages.business_customer_messages_before(
        conn, business_id, newest, WINDOW_SECONDS, per_sender=limits.customer_per_minute
    )
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


def lock_other_payers(conn: Connection, business_id: str) -> None:
    """Serialise checkouts paid from another number in one boutique until commit, so two
    customers naming the same number at once cannot both take its last place."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('other-payers:' || %s))", (business_id,))


def other_payer_allowed(
    conn: Connection,
    business_id: str,
    customer_phone: str,
    pay_phone: str,
    limits: RateLimits | None = None,
) -> bool:
    """Whether `customer_phone` may have M-Pesa prompts sent to `pay_phone`, another number.

    Counted over the boutique's payment attempts of the last 24 hours (prompts that never left
    because the gateway was down do not count): the customer may name at most
    `other_payers_per_customer` distinct other numbers, and a number may be named by at most
    `customers_per_other_payer` distinct customers. A number already used counts once.
    """
    limits = limits or RateLimits.from_env()
    recent = (
        "SELECT DISTINCT {column} AS phone FROM payment_attempts a"
        " JOIN orders o ON o.id = a.order_id"
        " WHERE a.business_id = %s AND {match} AND a.pay_phone <> o.customer_phone"
        " AND a.created_at > now() - %s::interval"
        " AND coalesce(a.failure_reason, '') NOT LIKE 'gateway\\_%%'"
    )
    payers = {
        row["phone"]
        for row in conn.execute(
            recent.format(column="a.pay_phone", match="o.customer_phone = %s"),
            (business_id, customer_phone, PAYER_WINDOW),
        )
    }
    if pay_phone not in payers and len(payers) >= limits.other_payers_per_customer:
        return False
    customers = {
        row["phone"]
        for row in conn.execute(
            recent.format(column="o.customer_phone", match="a.pay_phone = %s"),
            (business_id, pay_phone, PAYER_WINDOW),
        )
    }
    return customer_phone in customers or len(customers) < limits.customers_per_other_payer
