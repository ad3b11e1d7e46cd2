"""Rate limits: how much one customer, one boutique, or one phone's M-Pesa prompts may ask of us.

Counts come from the rows we store anyway (customer messages, payment attempts), so limits hold
across function instances without another store. A customer over a limit gets one short notice
a minute and the agent does not run (no model call, no tools); every message stays stored for
the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from duka.config import get_settings
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
    customer_per_minute: int
    business_per_minute: int
    stk_pushes_per_phone_per_hour: int
    # Paying from a number other than the customer's own WhatsApp number, per rolling day:
    other_payers_per_customer: int  # distinct other numbers one customer may name
    customers_per_other_payer: int  # distinct customers of a boutique naming one number

    @classmethod
    def configured(cls) -> RateLimits:
        """The limits from the deployment's settings (RATE_LIMIT_*, *_PER_HOUR, *_PER_DAY)."""
        settings = get_settings()
        return cls(
            customer_per_minute=settings.rate_limit_customer_per_minute,
            business_per_minute=settings.rate_limit_business_per_minute,
            stk_pushes_per_phone_per_hour=settings.stk_pushes_per_phone_per_hour,
            other_payers_per_customer=settings.other_payers_per_customer_per_day,
            customers_per_other_payer=settings.customers_per_other_payer_per_day,
        )


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
    limits = limits or RateLimits.configured()
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
    limits = limits or RateLimits.configured()
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
    limits = limits or RateLimits.configured()
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
