"""Consent events: a customer's opt-outs and opt-ins, with time and source (append only)."""

from __future__ import annotations

from typing import Any, Literal

from duka.db.pool import Connection

Kind = Literal["opt_out", "opt_in"]
Source = Literal["chat_keyword", "dashboard", "import"]


def record_consent(
    conn: Connection,
    *,
    business_id: str,
    customer_phone: str,
    kind: Kind,
    source: Source,
    message_id: str | None = None,
    reply_id: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO consent_events (business_id, customer_phone, kind, source, message_id,"
        " reply_id) VALUES (%s, %s, %s, %s, %s, %s)",
        (business_id, customer_phone, kind, source, message_id, reply_id),
    )


def current_consent(
    conn: Connection, business_id: str, customer_phone: str
) -> dict[str, Any] | None:
    """The customer's current consent: their newest event (None: they never said)."""
    return conn.execute(
        "SELECT kind, source, message_id, reply_id, created_at FROM consent_events"
        " WHERE business_id = %s AND customer_phone = %s ORDER BY created_at DESC, id DESC"
        " LIMIT 1",
        (business_id, customer_phone),
    ).fetchone()


def opted_out(conn: Connection, business_id: str, customer_phone: str) -> bool:
    """Whether nothing but direct replies may be sent to this customer."""
    current = current_consent(conn, business_id, customer_phone)
    return current is not None and current["kind"] == "opt_out"


def marketing_allowed(conn: Connection, business_id: str, customer_phone: str) -> bool:
    """Whether offers (follow-ups outside the 24-hour window, broadcasts) may go to this
    customer: her newest consent event is an opt-in (START / ANZA in chat, the dashboard or an
    import). Never asked is not consent."""
    current = current_consent(conn, business_id, customer_phone)
    return current is not None and current["kind"] == "opt_in"
