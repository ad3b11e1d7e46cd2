"""The owner's reply box: how long WhatsApp's 24-hour window stays open, and what may be sent.

Inside the window the owner types free text; once it has closed WhatsApp only delivers an
approved template, so the composer offers those instead (a free-text reply would fail 63016).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from duka.outbound import SESSION_WINDOW
from duka.whatsapp_templates import TEMPLATES, Template


@dataclass(frozen=True)
class ReplyWindow:
    open: bool
    remaining: timedelta  # zero once closed

    @property
    def countdown(self) -> str:
        """'window closes in 3 h 12 min', as the composer shows it."""
        minutes = max(int(self.remaining.total_seconds() // 60), 1)
        hours, minutes = divmod(minutes, 60)
        left = f"{hours} h {minutes} min" if hours else f"{minutes} min"
        return f"window closes in {left}"


def reply_window(conversation: dict[str, Any], now: datetime | None = None) -> ReplyWindow:
    """The window opened by the customer's last message (as delivery checks it)."""
    last = conversation.get("last_customer_message_at")
    if last is None:  # no customer message recorded yet: delivery does not hold it back either
        return ReplyWindow(True, SESSION_WINDOW)
    remaining = last + SESSION_WINDOW - (now or datetime.now(UTC))
    return ReplyWindow(remaining > timedelta(0), max(remaining, timedelta(0)))


@dataclass(frozen=True)
class TemplateOffer:
    """One template the owner may send once the window has closed, in the customer's language."""

    name: str
    language: str
    preview: str  # the body with its sample values, so the owner sees what each blank means
    variables: list[tuple[str, str]]  # (number, sample value)


def owner_templates() -> list[Template]:
    """The utility templates for customers; the sign-in code and owner alert are for owners'
    phones only."""
    return [t for t in TEMPLATES.values() if t.category == "UTILITY" and not t.to_owner]


def template_offers(conversation: dict[str, Any]) -> list[TemplateOffer]:
    wanted = (conversation.get("metadata") or {}).get("language")
    offers = []
    for template in owner_templates():
        language = template.language_for(wanted)
        offers.append(
            TemplateOffer(
                template.name,
                language,
                template.render(language, template.samples),
                sorted(template.samples.items(), key=lambda item: int(item[0])),
            )
        )
    return offers
