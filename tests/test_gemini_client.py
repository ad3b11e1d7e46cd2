"""The Gemini client and embedder, through the real google-genai SDK, against the loopback fake."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence

import pytest
from pydantic import BaseModel

from duka.config import get_settings
from duka.llm import GeminiClient, GeminiEmbedder, LLMResult, LLMUnavailable, get_gemini_client
from duka_local.sandboxes.gemini_fake import (
    Blocked,
    FakeGemini,
    InvalidJson,
    Reply,
    ServerError,
    Slow,
)

GENERATE = "generateContent"
EMBED = "batchEmbedContents"


class SalesReply(BaseModel):
    reply_text: str
    intent: str


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini(api_key="test-key") as server:
        yield server


def client_for(
    fake: FakeGemini, *, timeout_ms: int = 5000, api_key: str = "test-key"
) -> GeminiClient:
    return GeminiClient(
        api_key=api_key, model="gemini-2.5-flash", base_url=fake.base_url, timeout_ms=timeout_ms
    )


def ask(client: GeminiClient, images: Sequence[tuple[bytes, str]] = ()) -> LLMResult[SalesReply]:
    return client.generate_structured(
        system="You are Duka, a boutique sales assistant.",
        prompt="Customer: do you have red dresses?",
        schema=SalesReply,
        images=images,
    )


def test_structured_reply_is_parsed_with_token_usage_from_exactly_one_call(
    fake: FakeGemini,
) -> None:
    fake.script(Reply({"reply_text": "Yes, 3 red dresses!", "intent": "product_search"}, 321, 45))

    result = client_for(fake).generate_structured(
        system="You are Duka.", prompt="red dresses?", schema=SalesReply
    )

    assert result.value == SalesReply(reply_text="Yes, 3 red dresses!", intent="product_search")
    assert (result.usage.prompt_tokens, result.usage.output_tokens) == (321, 45)
    assert result.usage.model == "gemini-2.5-flash"
    assert result.usage.latency_ms > 0
    assert len(fake.requests_for(GENERATE)) == 1


def test_request_carries_system_instruction_prompt_schema_and_json_mime_type(
    fake: FakeGemini,
) -> None:
    fake.script(Reply({"reply_text": "ok", "intent": "greeting"}))

    client_for(fake).generate_structured(
        system="Speak like a Nairobi shopkeeper.",
        prompt="Customer: habari",
        schema=SalesReply,
        temperature=0.1,
        max_output_tokens=256,
    )

    [request] = fake.requests
    assert request.model == "gemini-2.5-flash"
    assert request.system_text == "Speak like a Nairobi shopkeeper."
    assert request.contents_text == "Customer: habari"
    config = request.generation_config
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["type"] == "OBJECT"
    assert set(config["responseSchema"]["required"]) == {"reply_text", "intent"}
    assert config["temperature"] == 0.1
    assert config["maxOutputTokens"] == 256


def test_image_is_sent_as_inline_data_before_the_prompt(fake: FakeGemini) -> None:
    fake.script(Reply({"reply_text": "A floral dress", "intent": "image_search"}))
    photo = b"\xff\xd8\xff\xe0fake-jpeg-bytes"

    ask(client_for(fake), images=[(photo, "image/jpeg")])

    [request] = fake.requests
    assert request.inline_data == [("image/jpeg", photo)]
    first_part = request.body["contents"][0]["parts"][0]
    assert "inlineData" in first_part


def test_reply_that_is_not_json_is_reported_as_invalid_json(fake: FakeGemini) -> None:
    fake.script(InvalidJson("Sure! Here are some dresses"))

    with pytest.raises(LLMUnavailable) as failure:
        ask(client_for(fake))

    assert failure.value.reason == "invalid_json"


def test_reply_missing_schema_fields_is_reported_as_invalid_json(fake: FakeGemini) -> None:
    fake.script(Reply({"reply_text": "no intent here"}))

    with pytest.raises(LLMUnavailable) as failure:
        ask(client_for(fake))

    assert failure.value.reason == "invalid_json"


def test_reply_cut_off_at_max_tokens_is_reported_as_truncated(fake: FakeGemini) -> None:
    fake.script(Reply('{"reply_text": "Yes we ha', finish_reason="MAX_TOKENS"))

    with pytest.raises(LLMUnavailable) as failure:
        ask(client_for(fake))

    assert failure.value.reason == "truncated"


def test_blocked_prompt_is_reported_as_blocked(fake: FakeGemini) -> None:
    fake.script(Blocked("SAFETY"))

    with pytest.raises(LLMUnavailable) as failure:
        ask(client_for(fake))

    assert failure.value.reason == "blocked"


def test_server_error_fails_at_once_without_sdk_retries(fake: FakeGemini) -> None:
    fake.script(ServerError(500), Reply({"reply_text": "too late", "intent": "x"}))

    with pytest.raises(LLMUnavailable) as failure:
        ask(client_for(fake))

    assert failure.value.reason == "http_error"
    assert failure.value.status_code == 500
    assert len(fake.requests) == 1


def test_slow_model_times_out_within_a_second(fake: FakeGemini) -> None:
    fake.script(Slow(1.5, then=Reply({"reply_text": "late", "intent": "x"})))
    started = time.monotonic()

    with pytest.raises(LLMUnavailable) as failure:
        ask(client_for(fake, timeout_ms=300))

    assert failure.value.reason == "timeout"
    assert time.monotonic() - started < 1.0
    assert len(fake.requests) == 1


def test_rejected_api_key_is_an_http_error(fake: FakeGemini) -> None:
    with pytest.raises(LLMUnavailable) as failure:
        ask(client_for(fake, api_key="wrong-key"))

    assert failure.value.reason == "http_error"
    assert failure.value.status_code == 400


def test_without_api_key_client_is_offline_and_sends_nothing(fake: FakeGemini) -> None:
    client = GeminiClient(api_key=None, model="gemini-2.5-flash", base_url=fake.base_url)

    assert client.enabled is False
    with pytest.raises(LLMUnavailable) as failure:
        ask(client)
    with pytest.raises(LLMUnavailable):
        GeminiEmbedder(client).embed(["red dress"], "RETRIEVAL_QUERY")

    assert failure.value.reason == "no_api_key"
    assert fake.requests == []


def test_default_responder_answers_once_the_script_is_empty(fake: FakeGemini) -> None:
    fake.default = lambda body: Reply({"reply_text": "default", "intent": "fallback"})
    fake.script(Reply({"reply_text": "scripted", "intent": "first"}))
    client = client_for(fake)

    first, second = ask(client), ask(client)

    assert [first.value.reply_text, second.value.reply_text] == ["scripted", "default"]


def test_embeddings_are_batched_by_100_unit_length_and_sized(fake: FakeGemini) -> None:
    texts = [f"product {n}: floral midi dress" for n in range(250)]
    embedder = GeminiEmbedder(client_for(fake), dimension=768)

    vectors = embedder.embed(texts, "RETRIEVAL_DOCUMENT")

    batches = fake.requests_for(EMBED)
    assert [len(batch.body["requests"]) for batch in batches] == [100, 100, 50]
    assert {batch.model for batch in batches} == {"gemini-embedding-001"}
    first_request = batches[0].body["requests"][0]
    assert first_request["taskType"] == "RETRIEVAL_DOCUMENT"
    assert first_request["outputDimensionality"] == 768
    assert len(vectors) == 250
    assert all(len(vector) == 768 for vector in vectors)
    assert all(math.isclose(math.hypot(*vector), 1.0, rel_tol=1e-9) for vector in vectors)
    assert embedder.name == "gemini-embedding-001@768"


def test_same_text_embeds_to_the_same_vector(fake: FakeGemini) -> None:
    embedder = GeminiEmbedder(client_for(fake), dimension=64)

    first, again, other = embedder.embed(
        ["red dress", "red dress", "blue jeans"], "RETRIEVAL_QUERY"
    )

    assert first == again
    assert first != other


def test_embedding_server_error_is_unavailable(fake: FakeGemini) -> None:
    fake.script_embeddings(ServerError(503, "The model is overloaded."))

    with pytest.raises(LLMUnavailable) as failure:
        GeminiEmbedder(client_for(fake)).embed(["red dress"], "RETRIEVAL_QUERY")

    assert failure.value.reason == "http_error"
    assert failure.value.status_code == 503


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    get_gemini_client.cache_clear()
    yield
    get_settings.cache_clear()
    get_gemini_client.cache_clear()


def test_process_client_comes_from_environment_and_is_shared(
    fake: FakeGemini, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GEMINI_BASE_URL", fake.base_url)
    monkeypatch.setenv("GEMINI_MODEL", "gemini-2.5-flash-lite")
    fake.script(Reply({"reply_text": "hi", "intent": "greeting"}))

    client = get_gemini_client()
    ask(client)

    assert get_gemini_client() is client
    assert client.sdk_client() is client.sdk_client()
    assert [request.model for request in fake.requests] == ["gemini-2.5-flash-lite"]


def test_process_client_is_offline_without_api_key(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)

    assert get_gemini_client().enabled is False
