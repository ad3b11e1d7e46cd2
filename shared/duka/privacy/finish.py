"""Finish deletions asked for in chat: once the confirmation has left for her number, the
chat row forgets the number (deletion.forget_number). Run by the minutely `sweep` job."""

from __future__ import annotations

import logging

from duka.db.pool import Connection, tenant_transaction, transaction
from duka.logs import log
from duka.privacy import requests
from duka.privacy.deletion import forget_number

logger = logging.getLogger(__name__)
MAX_ROWS = 200
GIVE_UP_AFTER = "1 day"  # a confirmation that never went: forget the number anyway


def _finish(conn: Connection, request_id: str) -> bool:
    row = conn.execute(
        "SELECT r.conversation_id, c.customer_phone, r.requested_at < now() - %s::interval"
        " AS overdue, EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
        "   AND m.role <> 'customer' AND m.delivery_status = 'pending') AS sending"
        " FROM privacy_requests r JOIN conversations c ON c.id = r.conversation_id"
        " WHERE r.id = %s AND r.status = 'replying' FOR UPDATE OF r",
        (GIVE_UP_AFTER, request_id),
    ).fetchone()
    if row is None:
        requests.set_status(conn, request_id, "completed")  # the chat itself was removed
        return True
    if row["sending"] and not row["overdue"]:
        return False
    forget_number(
        conn,
        conversation_id=str(row["conversation_id"]),
        phone=row["customer_phone"],
        request_id=request_id,
    )
    requests.set_status(conn, request_id, "completed")
    return True


def finish_deletions() -> int:
    with transaction() as conn:
        due = conn.execute("SELECT * FROM privacy_deletions_replying(%s)", (MAX_ROWS,)).fetchall()
    finished = 0
    for row in due:
        business_id, request_id = str(row["business_id"]), str(row["request_id"])
        with tenant_transaction(business_id) as conn:
            if _finish(conn, request_id):
                finished += 1
                log(
                    logger,
                    logging.INFO,
                    "privacy deletion completed",
                    business_id=business_id,
                    request_id=request_id,
                )
    return finished
