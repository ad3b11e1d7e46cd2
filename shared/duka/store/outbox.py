"""Transactional outbox: events written in the same transaction as the rows they describe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg.types.json import Jsonb

from duka.db.pool import Connection


def enqueue(conn: Connection, business_id: str, topic: str, payload: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO outbox (business_id, topic, payload) VALUES (%s, %s, %s)",
        (business_id, topic, Jsonb(payload)),
    )


def pending(
    conn: Connection, max_rows: int = 500, older_than: timedelta = timedelta(0)
) -> list[dict[str, Any]]:
    """Unpublished events, oldest first; `older_than` leaves their writers time to publish."""
    return conn.execute("SELECT * FROM outbox_pending(%s, %s)", (max_rows, older_than)).fetchall()


def mark_published(conn: Connection, ids: list[int]) -> None:
    conn.execute("SELECT outbox_mark_published(%s::bigint[])", (ids,))
