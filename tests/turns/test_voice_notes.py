"""Voice notes: online the transcript enters the turn like typed text, with the transcription as
the turn's only model call; offline or on failure the customer is asked to type."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop
from tests.turns.models import FunctionModel, hears, unavailable


class AudioHost:
    """Loopback media host: the local settings fetch loopback URLs without credentials."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data, content_type = host.files.get(self.path, (b"", ""))
                self.send_response(200 if data else 404)
                self.send_header("Content-Type", content_type or "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def voice_note(self, data: bytes = b"OggS voice", content_type: str = "audio/ogg") -> dict:
        path = f"/media/{secrets.token_hex(8)}"
        self.files[path] = (data, content_type)
        host, port = self.server.server_address[:2]
        return {"url": f"http://{host!s}:{port}{path}", "content_type": content_type}


@pytest.fixture(scope="module")
def audio() -> Iterator[AudioHost]:
    host = AudioHost()
    yield host
    host.server.shutdown()
    host.server.server_close()


@pytest.fixture()
def online(demo: Shop, turn_database: DatabaseUrls) -> Chat:
    return Chat(demo, turn_database, model=FunctionModel(hears("")))


def transcript_of_last_voice_note(chat: Chat) -> str | None:
    with psycopg.connect(chat.db.admin, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT m.metadata->>'transcript' AS transcript FROM messages m"
            " JOIN conversations c ON c.id = m.conversation_id"
            " WHERE c.customer_phone = %s AND m.role = 'customer'"
            " ORDER BY m.created_at DESC LIMIT 1",
            (chat.phone,),
        ).fetchone()
    return row["transcript"] if row else None


def test_an_english_voice_note_is_transcribed_and_answered_like_typed_text(
    online: Chat, audio: AudioHost
):
    assert isinstance(online.model, FunctionModel)
    online.model.answer = hears("do you have denim jackets?")
    reply = online.say("", attachments=[audio.voice_note()])

    assert "Here's what we have in stock:" in reply and "Denim Jacket - KES 3,200" in reply
    assert len(online.model.requests) == 1  # the transcription was the turn's only call
    assert online.model.requests[0].media[0][1] == "audio/ogg"
    assert online.last is not None
    assert online.last.record["llm_calls"] == 1 and online.last.record["voice_notes"] == 1
    assert online.last.record["reply_source"] == "template"
    assert transcript_of_last_voice_note(online) == "do you have denim jackets?"


def test_a_swahili_voice_note_is_answered_in_swahili(online: Chat, audio: AudioHost):
    assert isinstance(online.model, FunctionModel)
    online.model.answer = hears("una gauni ya kitenge?")
    reply = online.say("", attachments=[audio.voice_note()])

    assert "Hivi ndivyo tulivyo navyo:" in reply and "Kitenge Maxi Dress" in reply
    assert len(online.model.requests) == 1
    assert transcript_of_last_voice_note(online) == "una gauni ya kitenge?"


def test_offline_a_voice_note_gets_a_request_to_type_in_english(chat: Chat, audio: AudioHost):
    reply = chat.say("", attachments=[audio.voice_note()])

    assert reply.startswith("Sorry, I can't listen to voice notes"), reply
    assert chat.last is not None and chat.last.record["transcribe_failed"] == "offline"
    assert chat.last.record["llm_calls"] == 0


def test_offline_a_voice_note_gets_a_request_to_type_in_swahili(chat: Chat, audio: AudioHost):
    chat.say("habari, mnauza nguo gani?")
    reply = chat.say("", attachments=[audio.voice_note()])

    assert reply.startswith("Pole, siwezi kusikiliza voice note"), reply


@pytest.mark.parametrize("reason", ["timeout", "http_error", "invalid_json"])
def test_a_failed_transcription_asks_to_type_and_makes_no_second_call(
    online: Chat, audio: AudioHost, reason: str
):
    assert isinstance(online.model, FunctionModel)
    online.model.answer = unavailable(reason)
    reply = online.say("", attachments=[audio.voice_note()])

    assert reply.startswith("Sorry, I can't listen to voice notes"), reply
    assert len(online.model.requests) == 1
    assert online.last is not None and online.last.record["transcribe_failed"] == reason


def test_a_voice_note_without_speech_asks_to_type(online: Chat, audio: AudioHost):
    reply = online.say("", attachments=[audio.voice_note()])  # the model hears ""

    assert reply.startswith("Sorry, I can't listen to voice notes"), reply
    assert transcript_of_last_voice_note(online) is None


def test_audio_in_a_format_we_do_not_take_is_not_sent_to_the_model(online: Chat, audio: AudioHost):
    assert isinstance(online.model, FunctionModel)
    reply = online.say("", attachments=[audio.voice_note(b"#!AMR", "audio/amr")])

    assert reply.startswith("Sorry, I can't listen to voice notes"), reply
    assert online.model.requests == []
