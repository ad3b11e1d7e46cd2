"""A loopback fake of the Gemini REST API (generateContent, batchEmbedContents).

It speaks the wire format the google-genai SDK sends and parses, so tests, the local stack and
benchmarks exercise the real SDK. Replies to ``generateContent`` come from a per-test script,
then from a ``default`` responder. A request carrying audio is answered, unless scripted, with
``{"transcripts": [...]}``: the words `fake_voice_note` hid in each note, "" for any other audio.
Embeddings are deterministic but NOT semantic: each text maps to a hash-derived vector, so equal
texts get equal vectors and nothing else is meaningful.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from duka_local.sandboxes.serving import close_server

MAX_EMBED_BATCH = 100  # the Gemini API rejects larger batchEmbedContents calls
DEFAULT_EMBED_DIMENSION = 3072  # gemini-embedding-001's size when none is requested
_VOICE_HEADER = b"OggS\x00duka-fake-voice\x00"
_PATH = re.compile(
    r"^/v1beta/models/(?P<model>[^/:]+):(?P<method>generateContent|batchEmbedContents)$"
)


@dataclass(frozen=True)
class Reply:
    """A model answer: a dict/list is sent as JSON text, a str is sent verbatim."""

    body: Any
    prompt_tokens: int = 12
    output_tokens: int = 8
    finish_reason: str = "STOP"


@dataclass(frozen=True)
class InvalidJson:
    """A model answer whose text is not JSON at all."""

    text: str = "not json"


@dataclass(frozen=True)
class ServerError:
    """An error status with Google's error body."""

    status: int = 500
    message: str = "An internal error has occurred."


@dataclass(frozen=True)
class Slow:
    """Wait ``seconds`` before answering with ``then``."""

    seconds: float
    then: Reply


@dataclass(frozen=True)
class Blocked:
    """The prompt was refused by safety filters: no candidates, only promptFeedback."""

    reason: str = "SAFETY"


Scripted = Reply | InvalidJson | ServerError | Slow | Blocked
Responder = Callable[[dict[str, Any]], Reply]


@dataclass(frozen=True)
class RecordedRequest:
    """One call as the fake received it."""

    method: str  # "generateContent" or "batchEmbedContents"
    model: str
    body: dict[str, Any]

    @property
    def system_text(self) -> str:
        return _parts_text(self.body.get("systemInstruction", {}).get("parts", []))

    @property
    def contents_text(self) -> str:
        return "\n".join(
            _parts_text(content.get("parts", [])) for content in self.body.get("contents", [])
        )

    @property
    def generation_config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.body.get("generationConfig", {})
        return config

    @property
    def inline_data(self) -> list[tuple[str, bytes]]:
        """(mime type, bytes) of each inline part, in order."""
        found = []
        for content in self.body.get("contents", []):
            for part in content.get("parts", []):
                # Like the API, accept both key casings and both base64 alphabets.
                blob = part.get("inlineData") or part.get("inline_data")
                if blob is not None:
                    mime = blob.get("mimeType") or blob.get("mime_type")
                    data = base64.urlsafe_b64decode(
                        blob["data"].replace("+", "-").replace("/", "_")
                    )
                    found.append((mime, data))
        return found


def _parts_text(parts: list[dict[str, Any]]) -> str:
    return "\n".join(part["text"] for part in parts if "text" in part)


def fake_voice_note(words: str) -> bytes:
    """An Ogg-looking voice note whose transcript, for this fake, is `words`."""
    return _VOICE_HEADER + words.encode()


def transcripts_of(request: RecordedRequest) -> list[str] | None:
    """What the fake hears in a request's audio parts; None when it carries no audio."""
    notes = [data for mime, data in request.inline_data if str(mime).startswith("audio/")]
    if not notes:
        return None
    return [
        data[len(_VOICE_HEADER) :].decode(errors="replace")
        if data.startswith(_VOICE_HEADER)
        else ""
        for data in notes
    ]


def empty_object_responder(request_json: dict[str, Any]) -> Reply:
    """Answers ``{}``; the local stack replaces it with a responder that reads the prompt."""
    return Reply({})


def fake_embedding(text: str, dimension: int) -> list[float]:
    """A deterministic, non-semantic vector; its length varies like real truncated embeddings."""
    values: list[float] = []
    counter = 0
    while len(values) < dimension:
        block = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((word / 0xFFFFFFFF) * 2 - 1 for word in struct.unpack(">8I", block))
        counter += 1
    scale = 0.5 + hashlib.sha256(text.encode()).digest()[0] / 255
    return [value * scale for value in values[:dimension]]


class FakeGemini:
    """Threaded loopback Gemini server; use as a context manager or call start()/stop()."""

    def __init__(self, *, api_key: str = "fake-gemini-key", default: Responder | None = None):
        self.api_key = api_key
        self.default: Responder = default or empty_object_responder
        self._script: deque[Scripted] = deque()
        self._embed_script: deque[ServerError] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def script(self, *responses: Scripted) -> None:
        """Queue answers for the next generateContent calls, in order."""
        with self._lock:
            self._script.extend(responses)

    def script_embeddings(self, *failures: ServerError) -> None:
        """Queue failures for the next batchEmbedContents calls."""
        with self._lock:
            self._embed_script.extend(failures)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, method: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.method == method]

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeGemini is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-gemini", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()
        close_server(self._server)
        self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGemini:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_generate(self, body: dict[str, Any]) -> Scripted:
        with self._lock:
            if self._script:
                return self._script.popleft()
        heard = transcripts_of(RecordedRequest("generateContent", "", body))
        if heard is not None:
            return Reply({"transcripts": heard})
        return self.default(body)

    def _answer_generate(self, model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        item = self._next_generate(body)
        if isinstance(item, Slow):
            if self._stopping.wait(item.seconds):
                return _error(503, "The fake is shutting down.")
            item = item.then
        if isinstance(item, ServerError):
            return _error(item.status, item.message)
        if isinstance(item, Blocked):
            return 200, {
                "promptFeedback": {"blockReason": item.reason},
                "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
                "modelVersion": model,
            }
        if isinstance(item, InvalidJson):
            item = Reply(item.text)
        text = item.body if isinstance(item.body, str) else json.dumps(item.body)
        return 200, {
            "candidates": [
                {
                    "content": {"parts": [{"text": text}], "role": "model"},
                    "finishReason": item.finish_reason,
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": item.prompt_tokens,
                "candidatesTokenCount": item.output_tokens,
                "totalTokenCount": item.prompt_tokens + item.output_tokens,
            },
            "modelVersion": model,
        }

    def _answer_embed(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            failure = self._embed_script.popleft() if self._embed_script else None
        if failure is not None:
            return _error(failure.status, failure.message)
        requests = body.get("requests", [])
        if len(requests) > MAX_EMBED_BATCH:
            return _error(400, f"* BatchEmbedContentsRequest.requests: at most {MAX_EMBED_BATCH}")
        embeddings = []
        for request in requests:
            text = _parts_text(request.get("content", {}).get("parts", []))
            dimension = int(request.get("outputDimensionality") or DEFAULT_EMBED_DIMENSION)
            embeddings.append({"values": fake_embedding(text, dimension)})
        return 200, {"embeddings": embeddings}


_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _error(status: int, message: str) -> tuple[int, dict[str, Any]]:
    name = _STATUS_NAMES.get(status, "UNKNOWN")
    return status, {"error": {"code": status, "message": message, "status": name}}


def _handler_for(fake: FakeGemini) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            match = _PATH.match(self.path.split("?", 1)[0])
            if match is None:
                self._send(*_error(404, f"Unknown method {self.path}"))
                return
            key = self.headers.get("x-goog-api-key")
            if not key:
                self._send(*_error(403, "Method doesn't allow unregistered callers."))
                return
            if key != fake.api_key:
                self._send(*_error(400, "API key not valid. Please pass a valid API key."))
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(*_error(400, "Invalid JSON payload received."))
                return
            model, method = match["model"], match["method"]
            fake._record(RecordedRequest(method=method, model=model, body=body))
            if method == "generateContent":
                self._send(*fake._answer_generate(model, body))
            else:
                self._send(*fake._answer_embed(body))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); nothing left to tell it

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
