"""One structured Gemini call per invocation through google-genai; every failure is LLMUnavailable.

The orchestrator makes exactly one reasoning call per message and falls back to templates when
it fails, so this client never retries and reports *why* it failed in ``LLMUnavailable.reason``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

import httpx
import httpx2
from google import genai
from google.genai import errors, types
from pydantic import BaseModel, ValidationError

from duka.config import get_settings
from duka.errors import Transient

if TYPE_CHECKING:
    from duka.llm.model import ReplyRequest

T = TypeVar("T", bound=BaseModel)

UnavailableReason = Literal[
    "no_api_key",  # offline mode: GEMINI_API_KEY is not set
    "timeout",  # no answer within GEMINI_TIMEOUT_MS
    "connection",  # could not reach the API
    "http_error",  # the API answered with an error status (see status_code)
    "bad_response",  # the API answered 200 with a body we cannot read
    "blocked",  # safety filters refused the prompt or the answer
    "empty_response",  # no text came back
    "truncated",  # the answer hit max_output_tokens before the JSON was complete
    "invalid_json",  # the text is not JSON matching the schema
]

# The SDK uses httpx2 by default and httpx when GOOGLE_GENAI_HTTP_CLIENT=httpx.
_TIMEOUT_ERRORS = (httpx.TimeoutException, httpx2.TimeoutException)
_TRANSPORT_ERRORS = (httpx.TransportError, httpx2.TransportError)
_BLOCKING_FINISH_REASONS = {
    types.FinishReason.SAFETY,
    types.FinishReason.RECITATION,
    types.FinishReason.BLOCKLIST,
    types.FinishReason.PROHIBITED_CONTENT,
    types.FinishReason.SPII,
    types.FinishReason.IMAGE_SAFETY,
    types.FinishReason.IMAGE_PROHIBITED_CONTENT,
    types.FinishReason.MODEL_ARMOR,
}


class LLMUnavailable(Transient):
    """The model gave no usable answer; the caller falls back to a template reply."""

    def __init__(self, reason: UnavailableReason, detail: str = "", status_code: int | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: UnavailableReason = reason
        self.detail = detail
        self.status_code = status_code


@dataclass(frozen=True)
class LLMUsage:
    prompt_tokens: int
    output_tokens: int  # billed output: answer plus thinking tokens
    latency_ms: float
    model: str


@dataclass(frozen=True)
class LLMResult(Generic[T]):
    value: T
    usage: LLMUsage


@contextmanager
def sdk_errors_as_unavailable() -> Iterator[None]:
    """Translate transport and API failures raised inside the block into LLMUnavailable."""
    try:
        yield
    except _TIMEOUT_ERRORS as exc:
        raise LLMUnavailable("timeout", str(exc) or type(exc).__name__) from exc
    except _TRANSPORT_ERRORS as exc:
        raise LLMUnavailable("connection", str(exc) or type(exc).__name__) from exc
    except errors.APIError as exc:
        raise LLMUnavailable("http_error", exc.message or str(exc), exc.code) from exc
    except (errors.UnknownApiResponseError, json.JSONDecodeError) as exc:
        raise LLMUnavailable("bad_response", str(exc)) from exc


class GeminiClient:
    """Gemini over the google-genai SDK; the SDK client is built on first use and then shared."""

    def __init__(
        self,
        *,
        api_key: str | None,
        model: str,
        base_url: str | None = None,
        timeout_ms: int = 8000,
        thinking_budget: int | None = 0,
    ):
        self._api_key = api_key or None
        self.model = model
        self._base_url = base_url
        self._timeout_ms = timeout_ms
        # 0 turns thinking off (fast, and thinking tokens would eat max_output_tokens);
        # None keeps the model's default, for models that cannot switch it off.
        self._thinking_budget = thinking_budget
        self._sdk: genai.Client | None = None
        self._sdk_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """False in offline mode (no API key): callers go straight to templates."""
        return self._api_key is not None

    def sdk_client(self) -> genai.Client:
        if self._api_key is None:
            raise LLMUnavailable("no_api_key", "GEMINI_API_KEY is not set")
        with self._sdk_lock:
            if self._sdk is None:
                self._sdk = genai.Client(
                    api_key=self._api_key,
                    vertexai=False,  # ignore GOOGLE_GENAI_USE_VERTEXAI in the environment
                    http_options=types.HttpOptions(
                        base_url=self._base_url,
                        api_version="v1beta",
                        timeout=self._timeout_ms,  # milliseconds; no retry_options = no retries
                    ),
                )
            return self._sdk

    def compose(self, request: ReplyRequest[T]) -> LLMResult[T]:
        """The orchestrator's one reply call (duka.llm.model.ReplyModel)."""
        return self.generate_structured(
            system=request.system,
            prompt=request.prompt,
            schema=request.schema,
            images=request.media,
            model=request.model,
            timeout_ms=request.timeout_ms,
        )

    def generate_structured(
        self,
        *,
        system: str,
        prompt: str,
        schema: type[T],
        images: Sequence[tuple[bytes, str]] = (),
        temperature: float = 0.3,
        max_output_tokens: int = 1024,
        model: str | None = None,
        timeout_ms: int | None = None,
    ) -> LLMResult[T]:
        """One call; ``images`` are (bytes, mime type) pairs (photos or audio) sent inline
        before the prompt; ``model`` and ``timeout_ms`` override the client's for this call."""
        sdk = self.sdk_client()
        parts = [types.Part.from_bytes(data=data, mime_type=mime) for data, mime in images]
        parts.append(types.Part.from_text(text=prompt))
        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            response_schema=schema,
            temperature=temperature,
            max_output_tokens=max_output_tokens,
            thinking_config=(
                None
                if self._thinking_budget is None
                else types.ThinkingConfig(thinking_budget=self._thinking_budget)
            ),
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            automatic_continuation=False,
            http_options=None if timeout_ms is None else types.HttpOptions(timeout=timeout_ms),
        )
        model = model or self.model
        started = time.perf_counter()
        with sdk_errors_as_unavailable():
            response = sdk.models.generate_content(
                model=model,
                contents=[types.Content(role="user", parts=parts)],
                config=config,
            )
        latency_ms = (time.perf_counter() - started) * 1000
        value = _parse(response, schema)
        return LLMResult(value=value, usage=_usage(response, latency_ms, model))


def _parse(response: types.GenerateContentResponse, schema: type[T]) -> T:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        raise LLMUnavailable("blocked", f"prompt blocked: {feedback.block_reason}")
    finish_reason = response.candidates[0].finish_reason if response.candidates else None
    if finish_reason in _BLOCKING_FINISH_REASONS:
        raise LLMUnavailable("blocked", f"answer blocked: {finish_reason}")
    text = response.text
    if not text:
        raise LLMUnavailable("empty_response", f"finish reason {finish_reason}")
    try:
        return schema.model_validate_json(text)
    except ValidationError as exc:
        if finish_reason == types.FinishReason.MAX_TOKENS:
            raise LLMUnavailable("truncated", "answer hit max_output_tokens") from exc
        raise LLMUnavailable("invalid_json", f"{exc.error_count()} error(s): {text[:200]}") from exc


def _usage(response: types.GenerateContentResponse, latency_ms: float, model: str) -> LLMUsage:
    metadata = response.usage_metadata
    prompt_tokens = (metadata.prompt_token_count or 0) if metadata else 0
    answer_tokens = (metadata.candidates_token_count or 0) if metadata else 0
    thinking_tokens = (metadata.thoughts_token_count or 0) if metadata else 0
    return LLMUsage(
        prompt_tokens=prompt_tokens,
        output_tokens=answer_tokens + thinking_tokens,
        latency_ms=latency_ms,
        model=response.model_version or model,
    )


@lru_cache(maxsize=1)
def get_gemini_client() -> GeminiClient:
    """The process-wide client from settings (GEMINI_API_KEY absent means offline mode)."""
    settings = get_settings()
    return GeminiClient(
        api_key=settings.gemini_api_key,
        model=settings.gemini_model,
        base_url=settings.gemini_base_url,
        timeout_ms=settings.gemini_timeout_ms,
    )
