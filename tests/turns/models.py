"""FunctionModel: a ReplyModel answering from a Python function, as pydantic-ai's does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from duka.llm import LLMResult, LLMUnavailable, LLMUsage, ReplyRequest
from duka.orchestrator.model_decision import ModelDecision
from duka.orchestrator.voice import Transcripts

T = TypeVar("T", bound=BaseModel)

# The function sees the request and returns the structured reply as a dict, or raises
# LLMUnavailable like the real client does.
Answer = Callable[[ReplyRequest[Any]], dict[str, Any]]
DRAFT_MARKER = "Draft reply with the correct facts (improve its wording): "


class FunctionModel:
    def __init__(self, answer: Answer, *, prompt_tokens: int = 800, output_tokens: int = 60):
        self.answer = answer
        self.requests: list[ReplyRequest[Any]] = []
        self.prompt_tokens, self.output_tokens = prompt_tokens, output_tokens

    @property
    def enabled(self) -> bool:
        return True

    def compose(self, request: ReplyRequest[T]) -> LLMResult[T]:
        self.requests.append(request)
        raw = self.answer(request)
        try:
            value = request.schema.model_validate(raw)
        except ValueError as exc:
            raise LLMUnavailable("invalid_json", str(exc)) from exc
        return LLMResult(
            value=value,
            usage=LLMUsage(self.prompt_tokens, self.output_tokens, latency_ms=1.0, model="fn"),
        )


def reply(text: str, actions: list[dict[str, Any]] | None = None) -> Answer:
    """A model that always says `text` and proposes `actions`."""
    return lambda request: {"reply_text": text, "actions": actions or [], "intent": "x"}


def echo_draft(request: ReplyRequest[Any]) -> dict[str, Any]:
    """A well-behaved model: the draft, lightly reworded."""
    draft = request.prompt.split(DRAFT_MARKER, 1)[-1]
    return {"reply_text": "Sawa! " + draft, "actions": [], "intent": "x"}


def unavailable(reason: str) -> Answer:
    def fail(request: ReplyRequest[Any]) -> dict[str, Any]:
        raise LLMUnavailable(reason)  # type: ignore[arg-type]

    return fail


def decides(decision: dict[str, Any], otherwise: Answer = echo_draft) -> Answer:
    """A model that answers `decision` when asked to decide a reading (model_decision.py)."""

    def answer(request: ReplyRequest[Any]) -> dict[str, Any]:
        return decision if request.schema is ModelDecision else otherwise(request)

    return answer


def hears(*transcripts: str) -> Answer:
    """A model that transcribes the turn's voice notes as `transcripts` (voice.py)."""

    def answer(request: ReplyRequest[Any]) -> dict[str, Any]:
        assert request.schema is Transcripts and request.media, "not a transcription request"
        return {"transcripts": list(transcripts)}

    return answer
