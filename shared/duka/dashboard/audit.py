"""The audit log: one row per owner action that matters (a reply sent, an order changed, a
refund), so a boutique can see later who did what. Written in the same transaction as the action,
so a change is never made without its entry, and an action rolled back leaves no entry.
"""

from __future__ import annotations

from typing import Any

from flask import g
from psycopg.types.json import Jsonb

from duka.db.pool import Connection


def record(
    conn: Connection, action: str, subject_type: str, subject_id: object, **details: Any
) -> None:
    """Append an entry for whoever is signed in (the actor) in their boutique; details that are
    None are left out."""
    append(conn, g.owner.business_id, g.owner.phone, action, subject_type, subject_id, **details)


def append(
    conn: Connection,
    business_id: str,
    actor_phone: str,
    action: str,
    subject_type: str,
    subject_id: object,
    **details: Any,
) -> None:
    """An entry for `actor_phone`: for signing in, before anyone is signed in."""
    conn.execute(
        "INSERT INTO audit_log (business_id, actor_phone, action, subject_type, subject_id,"
        " details) VALUES (%s, %s, %s, %s, %s, %s)",
        (
            business_id,
            actor_phone,
            action,
            subject_type,
            None if subject_id is None else str(subject_id),
            Jsonb({key: _plain(value) for key, value in details.items() if value is not None}),
        ),
    )


def _plain(value: Any) -> Any:
    """JSON-ready: numbers and text as they are, anything else (UUID, Decimal) as text."""
    return value if isinstance(value, bool | int | float | str) else str(value)
