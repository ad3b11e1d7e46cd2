"""ReplyModel: what the orchestrator needs from a model, so a test can hand it one in-process.

GeminiClient implements it over the wire; tests/turns/models.py has a FunctionModel that answers
from a Python function, as pydantic-ai's FunctionModel does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from duka.llm.gemini import LLMResult

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class ReplyRequest(Generic[T]):
    system: str
    prompt: str
    schema: type[T]
    # (bytes, mime type) pairs sent inline before the prompt: a voice note to transcribe.
    media: tuple[tuple[bytes, str], ...] = ()
    model: str | None = None  # None: the client's model
    timeout_ms: int | None = None  # None: the client's timeout


class ReplyModel(Protocol):
    @property
    def enabled(self) -> bool:
        """False in offline mode: the orchestrator sends the template draft without asking."""
        ...

    def compose(self, request: ReplyRequest[T]) -> LLMResult[T]:
        """One structured answer; raises LLMUnavailable (with its reason) when there is none."""
        ...
