"""The owner's question/answer pairs and the customer questions left to the owner (migration
015); plain SQL over a tenant-scoped connection, so RLS keeps each boutique to its own rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from duka.db.pool import Connection

# --- question/answer pairs -------------------------------------------------------------------


def shop_answers(conn: Connection) -> list[dict[str, Any]]:
    """The boutique's pairs, oldest first (the order the owner added them)."""
    return conn.execute(
        "SELECT id, question, phrasings, answer_en, answer_sw FROM shop_answers"
        " ORDER BY created_at, id"
    ).fetchall()


def add_shop_answer(
    conn: Connection,
    business_id: str,
    *,
    question: str,
    phrasings: Sequence[str],
    answer_en: str,
    answer_sw: str,
) -> str:
    row = conn.execute(
        "INSERT INTO shop_answers (business_id, question, phrasings, answer_en, answer_sw)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (business_id, question, list(phrasings), answer_en, answer_sw),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def update_shop_answer(
    conn: Connection,
    answer_id: str,
    *,
    question: str,
    phrasings: Sequence[str],
    answer_en: str,
    answer_sw: str,
) -> bool:
    row = conn.execute(
        "UPDATE shop_answers SET question = %s, phrasings = %s, answer_en = %s, answer_sw = %s,"
        " updated_at = now() WHERE id = %s RETURNING id",
        (question, list(phrasings), answer_en, answer_sw, answer_id),
    ).fetchone()
    return row is not None


def delete_shop_answer(conn: Connection, answer_id: str) -> bool:
    row = conn.execute(
        "DELETE FROM shop_answers WHERE id = %s RETURNING id", (answer_id,)
    ).fetchone()
    return row is not None


# --- questions left to the owner -------------------------------------------------------------


def record_question(
    conn: Connection,
    business_id: str,
    conversation_id: str,
    *,
    customer_phone: str,
    question: str,
    topic: str,
    language: str,
) -> str | None:
    """Store an open question; None when the same one is already open in this conversation."""
    row = conn.execute(
        "INSERT INTO owner_questions (business_id, conversation_id, customer_phone, question,"
        " topic, language) SELECT %s, %s, %s, %s, %s, %s WHERE NOT EXISTS ("
        " SELECT 1 FROM owner_questions WHERE conversation_id = %s AND status = 'open'"
        " AND topic = %s AND lower(question) = lower(%s)) RETURNING id",
        (
            business_id,
            conversation_id,
            customer_phone,
            question,
            topic,
            language,
            conversation_id,
            topic,
            question,
        ),
    ).fetchone()
    return str(row["id"]) if row else None


def open_questions(conn: Connection, conversation_id: str | None = None) -> list[dict[str, Any]]:
    """Open questions, oldest first: the boutique's, or one conversation's."""
    return conn.execute(
        "SELECT q.id, q.conversation_id, q.customer_phone, q.question, q.topic, q.language,"
        " q.created_at, c.customer_name FROM owner_questions q"
        " JOIN conversations c ON c.id = q.conversation_id"
        " WHERE q.status = 'open' AND (%s::uuid IS NULL OR q.conversation_id = %s::uuid)"
        " ORDER BY q.created_at, q.id LIMIT 50",
        (conversation_id, conversation_id),
    ).fetchall()


def lock_open_question(conn: Connection, question_id: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = conn.execute(
        "SELECT * FROM owner_questions WHERE id = %s AND status = 'open' FOR UPDATE",
        (question_id,),
    ).fetchone()
    return row


def mark_answered(conn: Connection, question_id: str, answer: str, owner_phone: str) -> None:
    conn.execute(
        "UPDATE owner_questions SET status = 'answered', answer = %s, answered_by = %s,"
        " answered_at = now() WHERE id = %s",
        (answer, owner_phone, question_id),
    )


def has_open_questions(conn: Connection, conversation_id: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM owner_questions WHERE conversation_id = %s"
        " AND status = 'open') AS open",
        (conversation_id,),
    ).fetchone()
    return bool(row and row["open"])
