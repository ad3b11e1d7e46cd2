"""A local Twilio: the Messages REST API the SDK calls (create and list), recording what the agent
sends.

Also serves uploaded media on loopback (the chat simulator's photos) and lets tests make the
next sends fail: `POST /_sandbox/fail_next {"status": 500, "code": 20500, "count": 1}`, with
optional `"to": "+2547..."` (only sends to that number fail) and `"accept": true` (the message
is recorded as sent, then the error is answered: what a crash after Twilio took a message looks
like to the sender). `POST /_sandbox/clear_failures` drops failures not yet used;
`GET /_sandbox/attempts?to=` lists every create call, failed ones included.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
_DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Failure:
    status: int
    code: int
    to: str | None = None  # only sends to this number fail
    accept: bool = False  # the message is recorded as sent before the error is answered


def _bare(address: str) -> str:
    return address.removeprefix("whatsapp:")


class TwilioSandbox:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict[str, Any]] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.attempts: list[dict[str, Any]] = []
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def record(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            to = form.get("To", [""])[0]
            failure = self._take_failure(_bare(to))
            self.attempts.append({"to": to, "status": failure.status if failure else 201})
            if failure is not None and not failure.accept:
                return failure.status, _error(failure)
            now = time.gmtime()
            message = {
                "sid": "SM" + secrets.token_hex(16),
                "account_sid": self.account_sid,
                "to": to,
                "from": form.get("From", [""])[0],
                "body": form.get("Body", [""])[0],
                "media_url": form.get("MediaUrl", []),
                "status": "queued",
                "num_media": str(len(form.get("MediaUrl", []))),
                "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", now),
                "date_sent": time.strftime("%a, %d %b %Y %H:%M:%S +0000", now),
                "direction": "outbound-api",
                "created_ts": time.time(),
            }
            self.messages.append(message)
            if failure is not None:
                return failure.status, _error(failure)
            return 201, message

    def _take_failure(self, to: str) -> Failure | None:
        for index, failure in enumerate(self._failures):
            if failure.to is None or failure.to == to:
                return self._failures.pop(index)
        return None

    def fail_next(
        self, status: int, code: int, count: int = 1, *, to: str | None = None, accept: bool = False
    ) -> None:
        with self._lock:
            self._failures.extend([Failure(status, code, to, accept)] * count)

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def listed(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        """Messages matching the list filters Twilio supports here (To, From), newest first."""
        to, sender = query.get("To", [""])[0], query.get("From", [""])[0]
        size = int(query.get("PageSize", [str(_DEFAULT_PAGE_SIZE)])[0] or _DEFAULT_PAGE_SIZE)
        with self._lock:
            found = [
                m
                for m in reversed(self.messages)
                if (not to or m["to"] == to) and (not sender or m["from"] == sender)
            ]
        return found[:size]

    def store_media(self, data: bytes, content_type: str) -> str:
        media_id = "ME" + secrets.token_hex(8)
        self.media[media_id] = (data, content_type)
        return f"{self.base_url}/_sandbox/media/{media_id}"

    def messages_to(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if _bare(m["to"]) == number]


def _error(failure: Failure) -> dict[str, Any]:
    return {"code": failure.code, "message": "sandbox failure", "status": failure.status}


class _Handler(BaseHTTPRequestHandler):
    owner: TwilioSandbox

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _authorised(self) -> bool:
        expected = base64.b64encode(
            f"{self.owner.account_sid}:{self.owner.auth_token}".encode()
        ).decode()
        return self.headers.get("Authorization") == f"Basic {expected}"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        path = urlparse(self.path).path
        if path == "/_sandbox/fail_next":
            spec = json.loads(self._body() or b"{}")
            self.owner.fail_next(
                int(spec.get("status", 500)),
                int(spec.get("code", 20500)),
                int(spec.get("count", 1)),
                to=spec.get("to"),
                accept=bool(spec.get("accept", False)),
            )
            return self._send(200, {"ok": True})
        if path == "/_sandbox/clear_failures":
            self.owner.clear_failures()
            return self._send(200, {"ok": True})
        if path == "/_sandbox/media":
            url = self.owner.store_media(self._body(), self.headers.get("Content-Type", ""))
            return self._send(201, {"url": url})
        match = _MESSAGES.match(path)
        if not match:
            return self._send(404, {"message": "not found"})
        if match["sid"] != self.owner.account_sid or not self._authorised():
            return self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
        form = parse_qs(self._body().decode(), keep_blank_values=True)
        status, body = self.owner.record(form)
        self._send(status, body)

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        match = _MESSAGES.match(url.path)
        if match:
            if match["sid"] != self.owner.account_sid or not self._authorised():
                return self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
            found = self.owner.listed(parse_qs(url.query))
            return self._send(200, _page(url.path, found))
        if url.path == "/_sandbox/attempts":
            to = parse_qs(url.query).get("to", [""])[0]
            attempts = [a for a in self.owner.attempts if not to or _bare(a["to"]) == to]
            return self._send(200, {"attempts": attempts})
        if url.path == "/_sandbox/messages":
            to = parse_qs(url.query).get("to", [""])[0]
            found = self.owner.messages_to(to) if to else self.owner.messages
            return self._send(200, {"messages": found})
        if url.path.startswith("/_sandbox/media/"):
            media = self.owner.media.get(url.path.rsplit("/", 1)[-1])
            if media is None:
                return self._send(404, {"message": "no such media"})
            return self._send(200, media[0], media[1] or "application/octet-stream")
        self._send(404, {"message": "not found"})


def _page(path: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One page in Twilio's list format (the SDK reads the single non-meta key)."""
    return {
        "messages": messages,
        "uri": path,
        "first_page_uri": path,
        "next_page_uri": None,
        "previous_page_uri": None,
        "page": 0,
        "page_size": len(messages),
        "start": 0,
        "end": max(len(messages) - 1, 0),
    }
