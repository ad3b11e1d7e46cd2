"""Voice notes and model decisions through the real GeminiClient and the loopback Gemini fake:
the SDK's request (inline audio, per-call model and timeout, response schema) and its parsing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from duka.config import get_settings
from duka.llm import GeminiClient
from duka_local.sandboxes.gemini_fake import FakeGemini, Reply, Slow, fake_voice_note
from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop
from tests.turns.test_model_decisions import unsure
from tests.turns.test_voice_notes import AudioHost


@pytest.fixture()
def fake() -> Iterator[FakeGemini]:
    with FakeGemini(api_key="wire-key") as server:
        yield server


@pytest.fixture()
def online(demo: Shop, turn_database: DatabaseUrls, fake: FakeGemini) -> Chat:
    client = GeminiClient(
        api_key="wire-key", model="gemini-2.5-flash", base_url=fake.base_url, timeout_ms=5000
    )
    return Chat(demo, turn_database, model=client)


@pytest.fixture(scope="module")
def audio() -> Iterator[AudioHost]:
    host = AudioHost()
    yield host
    host.server.shutdown()
    host.server.server_close()


def test_a_voice_note_goes_inline_to_the_transcribe_model_and_is_answered(
    online: Chat, fake: FakeGemini, audio: AudioHost, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GEMINI_TRANSCRIBE_MODEL", "gemini-2.5-flash-lite")
    get_settings.cache_clear()
    note = fake_voice_note("do you have denim jackets?")
    reply = online.say("", attachments=[audio.voice_note(note)])

    assert "Denim Jacket - KES 3,200" in reply, reply
    [request] = fake.requests_for("generateContent")
    assert request.model == "gemini-2.5-flash-lite"
    assert request.inline_data == [("audio/ogg", note)]
    assert "transcripts" in str(request.generation_config.get("responseSchema"))


def test_a_slow_transcription_times_out_and_the_customer_is_asked_to_type(
    online: Chat, fake: FakeGemini, audio: AudioHost, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GEMINI_TRANSCRIBE_TIMEOUT_MS", "300")
    get_settings.cache_clear()
    fake.script(Slow(2.0, Reply({"transcripts": ["too late"]})))
    reply = online.say("", attachments=[audio.voice_note(fake_voice_note("hello"))])

    assert reply.startswith("Sorry, I can't listen to voice notes"), reply
    assert online.last is not None and online.last.record["transcribe_failed"] == "timeout"


def test_a_model_decision_comes_back_through_the_schema_and_decides_the_turn(
    online: Chat, fake: FakeGemini, monkeypatch: pytest.MonkeyPatch
):
    unsure(monkeypatch, "other")
    fake.script(Reply({"intent": "product_search", "item": None, "quantity": None}))
    reply = online.say("nimekuwa nikitafuta kitu cha kuvaa harusini")

    [request] = fake.requests_for("generateContent")
    assert "remove_from_cart" in str(request.generation_config.get("responseSchema"))
    assert "harusini" in request.contents_text
    assert online.last is not None and online.last.record["decided_by"] == "model"
    assert online.last.record["intent"] == "product_search" and "KES" in reply
