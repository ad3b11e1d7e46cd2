"""What a turn knows: the injected tool context and the conversation state kept in metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from duka.db.pool import Connection


@dataclass
class ToolContext:
    """Identity and connection for tools; built by the orchestrator, never by the model."""

    conn: Connection
    business: dict[str, Any]
    conversation: dict[str, Any]
    language: str = "en"
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def business_id(self) -> str:
        return str(self.business["id"])

    @property
    def conversation_id(self) -> str:
        return str(self.conversation["id"])

    @property
    def agent(self) -> dict[str, Any]:
        """The owner's agent personality: tone, greeting, languages, sign_off (dashboard)."""
        return dict((self.business.get("settings") or {}).get("agent") or {})

    @property
    def customer_phone(self) -> str:
        return str(self.conversation["customer_phone"])
