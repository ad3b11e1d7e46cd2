"""The number's messaging limit: how many unique customers it may start conversations with in
24 hours (WhatsApp's tiers 250, 1,000, 10,000), a tenant setting the broadcasts keep under.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from duka.db.pool import Connection

DAILY_LIMITS = (250, 1000, 10000)
DEFAULT_LIMIT = DAILY_LIMITS[0]


def daily_limit(settings: dict[str, Any] | None) -> int:
    """`businesses.settings["messaging"]["daily_limit"]`, or WhatsApp's first tier."""
    value = ((settings or {}).get("messaging") or {}).get("daily_limit")
    return value if value in DAILY_LIMITS else DEFAULT_LIMIT


def set_daily_limit(conn: Connection, business_id: str, value: int) -> None:
    if value not in DAILY_LIMITS:
        raise ValueError(f"daily limit {value} is not one of {DAILY_LIMITS}")
    conn.execute(
        "UPDATE businesses SET settings = jsonb_set(settings, '{messaging}',"
        " COALESCE(settings->'messaging', '{}'::jsonb) || %s::jsonb) WHERE id = %s",
        (Jsonb({"daily_limit": value}), business_id),
    )


def customers_reached(conn: Connection, business_id: str) -> int:
    """Unique customers this number sent a message on its own initiative (`proactive`: a
    broadcast card, a follow-up, a back-in-stock alert) in the last 24 hours, not counting any
    refused before sending. An over-count when she had written first, never an under-count."""
    row = conn.execute(
        "SELECT count(DISTINCT c.customer_phone) AS n FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.business_id = %s AND m.role <> 'customer'"
        "   AND m.created_at > now() - interval '24 hours'"
        "   AND m.metadata->>'proactive' = 'true' AND m.metadata->>'to' IS NULL"
        "   AND m.delivery_status IS DISTINCT FROM 'failed'",
        (business_id,),
    ).fetchone()
    return int(row["n"]) if row else 0
