"""TurnDeps: everything one turn works with, built by the orchestrator and never by the model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from duka.db.pool import Connection
from duka.llm.model import ReplyModel
from duka.orchestrator.state import ConversationState


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TurnDeps:
    """The connection (already scoped to the tenant), who is talking, their state, the model.

    Tools and handlers receive it; `clock` lets tests move time without sleeping.
    """

    conn: Connection
    business: dict[str, Any]
    conversation: dict[str, Any]
    state: ConversationState
    model: ReplyModel
    clock: Callable[[], datetime] = field(default=utc_now)

    @property
    def business_id(self) -> str:
        return str(self.business["id"])

    @property
    def conversation_id(self) -> str:
        return str(self.conversation["id"])

    @property
    def language(self) -> str:
        return self.state.language or "en"

    @property
    def agent(self) -> dict[str, Any]:
        """The owner's agent personality: tone, greeting, languages, sign_off (dashboard)."""
        return dict((self.business.get("settings") or {}).get("agent") or {})

    @property
    def customer_phone(self) -> str:
        return str(self.conversation["customer_phone"])
