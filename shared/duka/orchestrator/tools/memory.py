"""Memory tools: what this customer said before, and facts about them found again by meaning.

Memories are written by payment notices (duka/orders/notifications.py); the turn reads them.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, Field

from duka.catalog.search import active_embedding_model, embed_query
from duka.logs import log
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.tools.registry import tool
from duka.store.messages import recent_messages

logger = logging.getLogger(__name__)


class SearchArgs(BaseModel):
    query: str
    limit: int = Field(default=3, ge=1, le=10)


class SummaryArgs(BaseModel):
    limit: int = Field(default=8, ge=1, le=30)


def _embed(text: str) -> tuple[list[float] | None, str | None]:
    try:
        return embed_query(text), active_embedding_model()
    except Exception as exc:  # noqa: BLE001 - memories are still found by recency
        log(logger, logging.WARNING, "memory search without embedding", error=str(exc))
        return None, None


def _vector_literal(vector: list[float]) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in vector) + "]"


@tool("memory", SearchArgs)
def search_memories(deps: TurnDeps, query: str, limit: int = 3) -> list[str]:
    """This customer's memories closest in meaning to the query (newest when no vectors)."""
    vector, model = _embed(query) if query else (None, None)
    if vector is not None:
        rows = deps.conn.execute(
            # Distances only between vectors of the active model: others have other dimensions.
            "SELECT summary FROM agent_memories WHERE customer_phone = %s"
            " ORDER BY CASE WHEN embedding_model = %s THEN embedding <=> %s::vector END"
            " NULLS LAST, created_at DESC LIMIT %s",
            (deps.customer_phone, model, _vector_literal(vector), limit),
        ).fetchall()
    else:
        rows = deps.conn.execute(
            "SELECT summary FROM agent_memories WHERE customer_phone = %s"
            " ORDER BY created_at DESC LIMIT %s",
            (deps.customer_phone, limit),
        ).fetchall()
    return [str(r["summary"]) for r in rows]


@tool("memory", SummaryArgs)
def get_conversation_summary(deps: TurnDeps, limit: int = 8) -> list[dict[str, Any]]:
    """The last messages of this conversation, oldest first."""
    return [
        {"role": m["role"], "content": m["content"], "media": bool(m["attachments"])}
        for m in recent_messages(deps.conn, deps.conversation_id, limit)
    ]
