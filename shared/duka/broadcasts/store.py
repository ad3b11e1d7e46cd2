"""Broadcast rows under the owner's tenant transaction: create one (its recipients fixed at
Send), list them, read one, cancel one."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from duka.broadcasts.audience import Audience, members
from duka.db.pool import Connection


def create(
    conn: Connection,
    business_id: str,
    *,
    title: str,
    product_ids: list[str],
    audience: Audience,
) -> tuple[str, int]:
    """A sending broadcast and its recipients as the audience stands now: (id, how many)."""
    row = conn.execute(
        "INSERT INTO broadcasts (business_id, title, product_ids, audience)"
        " VALUES (%s, %s, %s::uuid[], %s) RETURNING id",
        (business_id, title, product_ids, Jsonb(audience.to_json())),
    ).fetchone()
    assert row is not None
    broadcast_id = str(row["id"])
    recipients = members(conn, business_id, audience)
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO broadcast_recipients (broadcast_id, business_id, customer_phone,"
            " conversation_id) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [
                (broadcast_id, business_id, r["customer_phone"], r["conversation_id"])
                for r in recipients
            ],
        )
    return broadcast_id, len(recipients)


def listed(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The boutique's broadcasts, newest first, with how many were queued out of how many."""
    return conn.execute(
        "SELECT b.id, b.title, b.status, b.created_at, b.finished_at,"
        " count(r.id) AS recipients, count(r.id) FILTER (WHERE r.state = 'queued') AS queued"
        " FROM broadcasts b LEFT JOIN broadcast_recipients r ON r.broadcast_id = b.id"
        " GROUP BY b.id ORDER BY b.created_at DESC LIMIT %s",
        (limit,),
    ).fetchall()


def get(conn: Connection, broadcast_id: str) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM broadcasts WHERE id = %s", (broadcast_id,)).fetchone()


def cancel(conn: Connection, broadcast_id: str) -> bool:
    """Stop a sending broadcast: no one still waiting gets it (messages already queued are
    delivered by the job, which then finishes it). False: it was not sending."""
    row = conn.execute(
        "UPDATE broadcasts SET status = 'cancelled' WHERE id = %s AND status = 'sending'"
        " RETURNING id",
        (broadcast_id,),
    ).fetchone()
    if row is None:
        return False
    conn.execute(
        "UPDATE broadcast_recipients SET state = 'skipped'"
        " WHERE broadcast_id = %s AND state = 'pending'",
        (broadcast_id,),
    )
    return True
