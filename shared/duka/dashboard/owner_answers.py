"""Answering a question the agent left to the owner, in one step.

The answer is queued as an `owner` message on the conversation (the dashboard composer's
outbound path: the 24-hour window is checked when it is delivered), under the conversation's row
lock so it never interleaves with an agent turn. The agent keeps answering a chat it was not
taken off; in a taken-over chat the answer also answers what the customer wrote meanwhile, as the
composer's replies do. Saving it makes a question/answer pair the agent answers from next time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duka.db.pool import Connection
from duka.errors import Rejected
from duka.orchestrator.templates import lang_key, say
from duka.outbound import queue_reply
from duka.store import conversations, messages, shop_knowledge

MAX_ANSWER = 1000
QUOTED = 120  # how much of the customer's question the reply quotes


class AnswerInvalid(Rejected):
    """The answer is empty or too long: the owner edits it."""


@dataclass(frozen=True)
class Answered:
    conversation_id: str
    message_id: str
    saved_pair: str | None


def _quote(question: str) -> str:
    return question if len(question) <= QUOTED else question[: QUOTED - 1].rstrip() + "…"


def answer_question(
    conn: Connection,
    business_id: str,
    question_id: str,
    text: str,
    owner_phone: str,
    *,
    save: bool,
) -> Answered | None:
    """Send the owner's answer to the customer and close the question; None when there is no
    open question by that id for this boutique (RLS hides every other boutique's)."""
    body = text.strip()
    if not body:
        raise AnswerInvalid("Type the answer first.")
    if len(body) > MAX_ANSWER:
        raise AnswerInvalid(f"Keep the answer under {MAX_ANSWER} characters.")
    found = shop_knowledge.lock_open_question(conn, question_id)
    if found is None:
        return None
    conversation_id = str(found["conversation_id"])
    conversation = conversations.lock_conversation(conn, conversation_id)
    if conversation is None:
        return None
    answers: list[str] = []
    if conversation["status"] == "handed_over":
        answers = [str(m["id"]) for m in messages.unanswered_inbound(conn, conversation_id)]
    message_id = queue_reply(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        text=say(
            "owner_answer", found["language"], question=_quote(found["question"]), answer=body
        ),
        answers=answers,
        role="owner",
        metadata={"owner_phone": owner_phone, "owner_question_id": question_id},
    )
    shop_knowledge.mark_answered(conn, question_id, body, owner_phone)
    _clear_question_flag(conn, conversation)
    pair = _save_pair(conn, business_id, found, body) if save else None
    return Answered(conversation_id, message_id, pair)


def _clear_question_flag(conn: Connection, conversation: dict[str, Any]) -> None:
    """The last open question answered: the chat no longer needs the owner for it (a complaint
    or a request for a person keeps its flag)."""
    metadata = conversation.get("metadata") or {}
    if metadata.get("attention_reason") != "question":
        return
    if shop_knowledge.has_open_questions(conn, str(conversation["id"])):
        return
    conn.execute(
        "UPDATE conversations SET metadata = metadata - 'needs_attention' - 'attention_reason'"
        " WHERE id = %s",
        (conversation["id"],),
    )


def _save_pair(conn: Connection, business_id: str, question: dict[str, Any], answer: str) -> str:
    """The customer's words as the question; the answer under the language it was asked in."""
    english = lang_key(question["language"]) == "en"
    return shop_knowledge.add_shop_answer(
        conn,
        business_id,
        question=question["question"][:300],
        phrasings=(),
        answer_en=answer if english else "",
        answer_sw="" if english else answer,
    )
