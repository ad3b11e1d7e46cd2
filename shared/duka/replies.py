"""Outgoing text rules: WhatsApp caps a message at 1,600 characters, so long replies split."""

from __future__ import annotations

MAX_WHATSAPP_CHARS = 1600


def split_reply(text: str, limit: int = MAX_WHATSAPP_CHARS) -> list[str]:
    """Split at line breaks (then spaces) so no part exceeds the limit; never mid-word."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts or [""]
