"""What the agent cannot answer goes to the owner; what the owner answered comes back.

`ask_owner` records a customer's question on the owner's dashboard (answered there in one step,
duka/dashboard/owner_answers.py) and flags the chat. `saved_answer` finds the owner's own
question/answer pair a message asks (answer_matching.py), so a question answered once is
answered by the agent next time.
"""

from __future__ import annotations

from dataclasses import dataclass

from duka.orchestrator.answer_matching import Candidate, best_match
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.entities import normalize
from duka.orchestrator.shop_topics import asked_topics
from duka.orchestrator.state import ConversationState
from duka.orchestrator.templates import lang_key
from duka.store import shop_knowledge

MAX_QUESTION = 500


def flag_for_owner(state: ConversationState, reason: str) -> None:
    """Show the chat under "Needs you"; a complaint already there keeps its reason."""
    if not (state.needs_attention and state.attention_reason == "complaint"):
        state.attention_reason = reason
    state.needs_attention = True


def ask_owner(deps: TurnDeps, question: str, topic: str) -> None:
    """Put the customer's question on the owner's dashboard and flag the chat ("question").

    `topic` names what is missing ("pickup", "hours,returns", "question", "product:material").
    The same question still open in this conversation is not recorded twice. Nothing is said to
    the customer here: the caller's reply says the agent will ask.
    """
    shop_knowledge.record_question(
        deps.conn,
        deps.business_id,
        deps.conversation_id,
        customer_phone=deps.customer_phone,
        question=" ".join(question.split())[:MAX_QUESTION],
        topic=topic,
        language=deps.language,
    )
    flag_for_owner(deps.state, "question")


@dataclass(frozen=True)
class SavedAnswer:
    question: str
    text: str  # in the customer's language when the owner gave it, else the other one
    topics: frozenset[str]  # the shop topics the pair's own wording asks about


def saved_answer(deps: TurnDeps, message: str, language: str) -> SavedAnswer | None:
    """The owner's answer to what `message` asks, from their question/answer pairs."""
    pairs = {str(row["id"]): row for row in shop_knowledge.shop_answers(deps.conn)}
    if not pairs:
        return None
    key = best_match(
        message,
        [Candidate(k, (row["question"], *row["phrasings"])) for k, row in pairs.items()],
    )
    if key is None:
        return None
    row = pairs[key]
    first, second = (
        (row["answer_en"], row["answer_sw"])
        if lang_key(language) == "en"
        else (row["answer_sw"], row["answer_en"])
    )
    topics = {t for p in (row["question"], *row["phrasings"]) for t in asked_topics(normalize(p))}
    return SavedAnswer(row["question"], first or second, frozenset(topics))
