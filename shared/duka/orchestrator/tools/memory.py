"""Memory tools: short facts about a customer, found again by meaning (pgvector) or recency."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, Field

from duka.logs import log
from duka.orchestrator.context import ToolContext
from duka.orchestrator.tools.registry import tool

logger = logging.getLogger(__name__)


class SaveArgs(BaseModel):
    summary: str = Field(min_length=3, max_length=500)


class SearchArgs(BaseModel):
    query: str
    limit: int = Field(default=3, ge=1, le=10)


class SummaryArgs(BaseModel):
    limit: int = Field(default=8, ge=1, le=30)


def _embed(text: str) -> tuple[list[float] | None, str | None]:
    try:
        from duka.catalog.search import active_embedding_model, embed_query

        return embed_query(text), active_embedding_model()
    except Exception as exc:  # noqa: BLE001 - a memory without a vector is still useful
        log(logger, logging.WARNING, "memory stored without embedding", error=str(exc))
        return None, None


def _vector_literal(vector: list[float]) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in vector) + "]"


@tool("memory", SaveArgs)
def save_memory(ctx: ToolContext, args: SaveArgs) -> str:
    """Remember one fact about this customer for later conversations."""
    vector, model = _embed(args.summary)
    row = ctx.conn.execute(
        "INSERT INTO agent_memories (business_id, conversation_id, customer_phone, summary,"
        " embedding, embedding_model) VALUES (%s, %s, %s, %s, %s::vector, %s) RETURNING id",
        (
            ctx.business_id,
            ctx.conversation_id,
            ctx.customer_phone,
            args.summary,
            _vector_literal(vector) if vector else None,
            model,
        ),
    ).fetchone()
    assert row is not None
    return str(row["id"])


@tool("memory", SearchArgs)
def search_memories(ctx: ToolContext, args: SearchArgs) -> list[str]:
    """This customer's memories closest in meaning to the query (newest when no vectors)."""
    vector, model = _embed(args.query) if args.query else (None, None)
    if vector is not None:
        rows = ctx.conn.execute(
            # Distances only between vectors of the active model: others have other dimensions.
            "SELECT summary FROM agent_memories WHERE customer_phone = %s"
            " ORDER BY CASE WHEN embedding_model = %s THEN embedding <=> %s::vector END"
            " NULLS LAST, created_at DESC LIMIT %s",
            (ctx.customer_phone, model, _vector_literal(vector), args.limit),
        ).fetchall()
    else:
        rows = ctx.conn.execute(
            "SELECT summary FROM agent_memories WHERE customer_phone = %s"
            " ORDER BY created_at DESC LIMIT %s",
            (ctx.customer_phone, args.limit),
        ).fetchall()
    return [str(r["summary"]) for r in rows]


@tool("memory", SummaryArgs)
def get_conversation_summary(ctx: ToolContext, args: SummaryArgs) -> list[dict[str, Any]]:
    """The last messages of this conversation, oldest first."""
    from duka.store.messages import recent_messages

    return [
        {"role": m["role"], "content": m["content"], "media": bool(m["attachments"])}
        for m in recent_messages(ctx.conn, ctx.conversation_id, args.limit)
    ]
