"""Voice notes: online, one Gemini call transcribes them and the words join the turn's text.

All voice notes a turn answers go into that one call, and it is the turn's only model call:
the reply is then composed from templates. Offline, or when the notes cannot be fetched or the
model fails or is slow, the customer is asked to type (`ask_to_type`). Each transcript is kept
in its message's metadata, where the owner's conversation view shows it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, Field

from duka.config import get_settings
from duka.db.pool import Connection
from duka.llm import LLMUnavailable, ReplyModel, ReplyRequest
from duka.logs import log
from duka.media import AUDIO_TYPES, MediaRefused, download_media
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts
from duka.orchestrator.shopping import Turn
from duka.orchestrator.templates import say
from duka.store import messages

logger = logging.getLogger(__name__)

MAX_VOICE_NOTES = 3  # per turn; a longer burst of voice notes is asked to be typed

SYSTEM = """You transcribe WhatsApp voice notes sent to a Kenyan fashion boutique.
Write exactly what the customer says, in the language they speak (English, Swahili, Sheng or a
mix); do not translate, answer or summarise. One transcript per voice note, in order. A voice
note with no intelligible speech gets an empty transcript. Return JSON matching the schema."""


class Transcripts(BaseModel):
    transcripts: list[str] = Field(max_length=MAX_VOICE_NOTES)


@dataclass(frozen=True)
class Heard:
    """What the turn's voice notes said; `failure` says why they could not be heard."""

    text: str = ""
    voice_notes: int = 0
    llm_calls: int = 0
    failure: str | None = None
    record: dict[str, Any] = field(default_factory=dict)


def is_voice_note(attachment: dict[str, Any]) -> bool:
    return str(attachment.get("content_type") or "").startswith("audio/")


def hear(conn: Connection, model: ReplyModel, inbound: list[dict[str, Any]]) -> Heard:
    """Transcribe the voice notes in `inbound` with one call, storing each transcript."""
    notes = [
        (str(m["id"]), a)
        for m in inbound
        for a in (m["attachments"] or [])
        if a.get("url") and is_voice_note(a)
    ]
    if not notes:
        return Heard()
    if not model.enabled:
        return _failed(len(notes), "offline", 0)
    if len(notes) > MAX_VOICE_NOTES:
        return _failed(len(notes), "too_many", 0)
    try:
        media = [download_media(a["url"], accept=AUDIO_TYPES) for _, a in notes]
    except (MediaRefused, httpx.HTTPError) as exc:
        return _failed(len(notes), "download", 0, error=str(exc))
    settings = get_settings()
    request = ReplyRequest(
        system=SYSTEM,
        prompt=f"Transcribe the {len(notes)} voice note(s) above.",
        schema=Transcripts,
        media=tuple((m.data, m.content_type) for m in media),
        model=settings.gemini_transcribe_model,
        timeout_ms=settings.gemini_transcribe_timeout_ms,
    )
    try:
        result = model.compose(request)
    except LLMUnavailable as exc:
        return _failed(len(notes), exc.reason, 1)
    transcripts = [t.strip() for t in result.value.transcripts]
    if len(transcripts) != len(notes) or not any(transcripts):
        return _failed(len(notes), "no_speech", 1)
    for (message_id, _), transcript in zip(notes, transcripts, strict=True):
        if transcript:
            messages.set_transcript(conn, message_id, transcript)
    return Heard(
        text="\n".join(t for t in transcripts if t),
        voice_notes=len(notes),
        llm_calls=1,
        record={
            "voice_notes": len(notes),
            "transcribe_latency_ms": round(result.usage.latency_ms, 1),
            "prompt_tokens": result.usage.prompt_tokens,
            "output_tokens": result.usage.output_tokens,
        },
    )


def _failed(count: int, reason: str, llm_calls: int, error: str = "") -> Heard:
    log(logger, logging.WARNING, "voice note not transcribed", reason=reason, error=error)
    record = {"voice_notes": count, "transcribe_failed": reason}
    return Heard(voice_notes=count, llm_calls=llm_calls, failure=reason, record=record)


def ask_to_type(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """A voice note we could not hear: ask for the message in writing, in her language."""
    facts.draft = say("voice_note_type", turn.language)
    return facts
