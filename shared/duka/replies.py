"""What the agent says back: the Foundation's keyword search, until the orchestrator."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from duka.db.pool import Connection
from duka.store import products

_WORD = re.compile(r"[a-zA-Z0-9]+")


@dataclass(frozen=True)
class Reply:
    text: str
    media_urls: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


def format_kes(amount: Decimal | int | float) -> str:
    return f"KES {Decimal(amount):,.0f}"


def keyword_reply(conn: Connection, inbound: list[dict[str, Any]]) -> Reply:
    words = [w for m in inbound for w in _WORD.findall(m["content"] or "")]
    matches = products.keyword_search(conn, words, limit=5)
    if not matches:
        return Reply(
            "Sorry, I couldn't find that in stock. Tell me what you're looking for "
            "(e.g. 'red dress' or 'kitenge skirt')."
        )
    lines = [f"{i}. {p['name']} - {format_kes(p['price'])}" for i, p in enumerate(matches, 1)]
    shown = [str(p["id"]) for p in matches]
    return Reply("Here's what we have:\n" + "\n".join(lines), metadata={"shown": shown})
