"""A local Twilio: the Messages REST API the SDK calls (create and list), recording what the agent
sends.

Also serves uploaded media on loopback (the chat simulator's photos) and lets tests make the
next sends fail: `POST /_sandbox/fail_next {"status": 500, "code": 20500, "count": 1}`, with
optional `"to": "+2547..."` (only sends to that number fail) and `"accept": true` (the message
is recorded as sent, then the error is answered: what a crash after Twilio took a message looks
like to the sender). `POST /_sandbox/clear_failures` drops failures not yet used;
`GET /_sandbox/attempts?to=` lists every create call, failed ones included.

Status callbacks (`status_callbacks.py`): a message created with a StatusCallback gets
queued/sent/delivered posted to it, signed like Twilio. `POST /_sandbox/read {"to": "+2547..."}`
(or `{"sid": "SM..."}`) posts "read" for what that customer has been sent;
`POST /_sandbox/undeliverable {"to": "+2547...", "code": 63024, "status": "failed"}` makes
later sends to that number fail after Twilio took them, as WhatsApp does;
`GET /_sandbox/callbacks` lists every status posted and how our endpoint answered.

Content API (`twilio_content.py`): `POST/GET /v1/Content`, `GET/PUT /v1/Content/{sid}` and its
WhatsApp approval requests; a message created with ContentSid + ContentVariables is stored with
its text as Twilio records it (`body`: the body, variables filled in) and, a sandbox-only field,
the list's items or buttons it offers (`options`: [{id, title, description}]).
Like WhatsApp the sandbox refuses a session message (free text, or
content WhatsApp has not approved or never approves, such as a list picker) to a customer whose
last message to that business is more than 24 hours old, with error 63016 (synchronously; real
Twilio reports it in the status callback), and remembers each attempt (`outside_window`,
`GET /_sandbox/stats`): the test suite asserts there were none. It learns of inbound messages
from the stack's gateway (every accepted `/webhook/whatsapp` post) or from
`POST /_sandbox/inbound {"from": customer, "to": business, "at": epoch seconds}`, which tests use
to move a customer's last message into the past. A pair it never saw write is not judged.
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

from duka_local.sandboxes import twilio_content
from duka_local.sandboxes.status_callbacks import StatusCallbacks, Undeliverable
from duka_local.sandboxes.twilio_content import Content, ContentError

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
_CONTENTS = re.compile(
    r"^/v1/Content(?:/(?P<sid>HX[0-9a-f]{32})(?P<approval>/ApprovalRequests(?:/whatsapp)?)?)?$"
)
_DEFAULT_PAGE_SIZE = 50
SESSION_WINDOW_SECONDS = 24 * 3600
OUTSIDE_WINDOW_CODE = 63016
_OUTSIDE_WINDOW_MESSAGE = (
    "Failed to send freeform message because you are outside the allowed window. "
    "If you are using WhatsApp, please use a Message Template."
)
# Session messages refused outside the window by every sandbox this process ran or was told
# of (`note_outside_window`): the test suite's session-end check reads it.
_outside_window_seen: list[dict[str, Any]] = []
_seen_lock = threading.Lock()


def note_outside_window(attempts: list[dict[str, Any]]) -> None:
    with _seen_lock:
        _outside_window_seen.extend(attempts)


def outside_window_seen() -> list[dict[str, Any]]:
    with _seen_lock:
        return list(_outside_window_seen)


@dataclass(frozen=True)
class Failure:
    status: int
    code: int
    to: str | None = None  # only sends to this number fail
    accept: bool = False  # the message is recorded as sent before the error is answered


def _bare(address: str) -> str:
    return address.removeprefix("whatsapp:")


class TwilioSandbox:
    def __init__(
        self, account_sid: str, auth_token: str, *, report_outside_window: bool = True
    ) -> None:
        """`report_outside_window=False`: a sandbox a test builds to watch 63016 happen; its
        refusals are intended and not reported to the suite's check."""
        self.report_outside_window = report_outside_window
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict[str, Any]] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.attempts: list[dict[str, Any]] = []
        self.contents: dict[str, Content] = {}
        # (customer, business) → when the customer last wrote, epoch seconds
        self.last_inbound: dict[tuple[str, str], float] = {}
        self.outside_window: list[dict[str, Any]] = []
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""
        self.status_callbacks = StatusCallbacks(account_sid, auth_token)

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

    def note_inbound(self, customer: str, business: str, at: float | None = None) -> None:
        """The customer wrote to the business (at `at`, default now): their window opens."""
        with self._lock:
            when = time.time() if at is None else at
            self.last_inbound[(_bare(customer), _bare(business))] = when

    def _window_closed(self, to: str, sender: str) -> bool:
        last = self.last_inbound.get((_bare(to), _bare(sender)))
        return last is not None and time.time() - last > SESSION_WINDOW_SECONDS

    def _rendered(self, form: dict[str, list[str]]) -> tuple[str, Content | None, dict[str, str]]:
        """The text the recipient reads and the content sent, if any; raises ContentError."""
        sid = form.get("ContentSid", [""])[0]
        if not sid:
            return form.get("Body", [""])[0], None, {}
        content = self.contents.get(sid)
        if content is None:
            raise ContentError(f"ContentSid {sid} was not found", 21655)
        values = twilio_content.parse_variables(form.get("ContentVariables", [""])[0])
        return content.render(values), content, values

    def _refused(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]] | None:
        """A bad ContentSid, or a session message outside the window: Twilio's 400."""
        to, sender = form.get("To", [""])[0], form.get("From", [""])[0]
        try:
            body, content, _ = self._rendered(form)
        except ContentError as exc:
            return 400, {"code": exc.code, "message": str(exc), "status": 400}
        if (content is None or content.session_only) and self._window_closed(to, sender):
            refused = {"to": to, "from": sender, "body": body, "at": time.time()}
            refused["content_sid"] = content.sid if content else None
            self.outside_window.append(refused)
            if self.report_outside_window:
                note_outside_window([refused])
            error = {"code": OUTSIDE_WINDOW_CODE, "message": _OUTSIDE_WINDOW_MESSAGE}
            return 400, {**error, "status": 400}
        return None

    def record(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            to = form.get("To", [""])[0]
            refused = self._refused(form)
            if refused is not None:
                self.attempts.append({"to": to, "status": refused[0]})
                return refused
            body, content, values = self._rendered(form)
            # A card's photo travels with the message, as Twilio sends the card's media.
            media = form.get("MediaUrl", []) or (content.media(values) if content else [])
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
                "body": body,
                "content_sid": content.sid if content else None,
                "content_variables": values,
                "options": content.options() if content else [],  # sandbox only: list/buttons
                "media_url": media,
                "status": "queued",
                "num_media": str(len(media)),
                "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", now),
                "date_sent": time.strftime("%a, %d %b %Y %H:%M:%S +0000", now),
                "direction": "outbound-api",
                "created_ts": time.time(),
                "status_callback": form.get("StatusCallback", [""])[0],
            }
            self.messages.append(message)
            self.status_callbacks.message_accepted(message, _bare(to))
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
            self.status_callbacks.undeliverable.clear()

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

    def read_by_customer(self, *, to: str | None = None, sid: str | None = None) -> int:
        """The customer read what they were sent (one message, or all to a number): "read"
        is posted for each delivered message not read yet. Returns how many."""
        with self._lock:
            unread = [
                m
                for m in self.messages
                if m["status"] == "delivered"
                and (sid is None or m["sid"] == sid)
                and (to is None or _bare(m["to"]) == to)
            ]
            for message in unread:
                self.status_callbacks.report(message, "read")
        return len(unread)

    def save_content(self, payload: dict[str, Any], sid: str | None = None) -> Content | None:
        """Create a content resource, or replace one's definition (None: no such sid)."""
        name, language, variables, types = twilio_content.parse_content(payload)
        with self._lock:
            if sid is None:
                content = twilio_content.new_content(
                    self.account_sid, name, language, variables, types
                )
                self.contents[content.sid] = content
                return content
            existing = self.contents.get(sid)
            if existing is not None:
                existing.friendly_name, existing.language = name, language
                existing.variables, existing.types = variables, types
                existing.updated, existing.approval = time.time(), None
            return existing

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
        if path == "/_sandbox/read":
            spec = json.loads(self._body() or b"{}")
            count = self.owner.read_by_customer(to=spec.get("to"), sid=spec.get("sid"))
            return self._send(200, {"read": count})
        if path == "/_sandbox/undeliverable":
            spec = json.loads(self._body() or b"{}")
            failure = Undeliverable(int(spec.get("code", 63024)), spec.get("status", "failed"))
            self.owner.status_callbacks.undeliverable[spec["to"]] = failure
            return self._send(200, {"ok": True})
        if path == "/_sandbox/clear_failures":
            self.owner.clear_failures()
            return self._send(200, {"ok": True})
        if path == "/_sandbox/inbound":
            spec = json.loads(self._body() or b"{}")
            at = spec.get("at")
            self.owner.note_inbound(spec["from"], spec["to"], float(at) if at else None)
            return self._send(200, {"ok": True})
        if _CONTENTS.match(path):
            return self._content_request("POST", path)
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

    def do_PUT(self) -> None:  # noqa: N802
        self._content_request("PUT", urlparse(self.path).path)

    def _content_request(self, method: str, path: str) -> None:
        """content.twilio.com/v1: create, list, fetch, update, and WhatsApp approval."""
        match = _CONTENTS.match(path)
        if match is None:
            return self._send(404, {"code": 20404, "message": "not found", "status": 404})
        if not self._authorised():
            return self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
        sid, approval = match["sid"], match["approval"]
        content = self.owner.contents.get(sid) if sid else None
        if sid and content is None:
            return self._send(404, {"code": 20404, "message": f"{sid} not found", "status": 404})
        base = self.owner.base_url
        try:
            if method == "GET" and approval and content is not None:
                whatsapp = content.approval or {"status": "unsubmitted"}
                return self._send(200, {"sid": sid, "whatsapp": whatsapp, "url": base + path})
            if method == "POST" and approval == "/ApprovalRequests/whatsapp" and content:
                return self._send(201, twilio_content.approve(content, self._json()))
            if method == "GET" and content is not None:
                return self._send(200, content.resource(base))
            if method == "GET" and sid is None:
                return self._send(200, self._content_page(path))
            if method == "POST" and sid is None:
                created = self.owner.save_content(self._json())
                assert created is not None
                return self._send(201, created.resource(base))
            if method == "PUT" and content is not None and not approval:
                updated = self.owner.save_content(self._json(), sid)
                assert updated is not None
                return self._send(200, updated.resource(base))
        except ContentError as exc:
            return self._send(400, {"code": exc.code, "message": str(exc), "status": 400})
        self._send(405, {"code": 20004, "message": "method not allowed", "status": 405})

    def _json(self) -> dict[str, Any]:
        try:
            payload = json.loads(self._body() or b"{}")
        except ValueError as exc:
            raise ContentError("the body is not JSON") from exc
        if not isinstance(payload, dict):
            raise ContentError("the body must be a JSON object")
        return payload

    def _content_page(self, path: str) -> dict[str, Any]:
        """One page of contents, oldest first, in content.twilio.com's paging format."""
        query = parse_qs(urlparse(self.path).query)
        size = int(query.get("PageSize", [str(_DEFAULT_PAGE_SIZE)])[0] or _DEFAULT_PAGE_SIZE)
        page = int(query.get("Page", ["0"])[0] or 0)
        everything = list(self.owner.contents.values())
        chunk = everything[page * size : (page + 1) * size]
        url = f"{self.owner.base_url}{path}?PageSize={size}&Page="
        more = (page + 1) * size < len(everything)
        return {
            "contents": [c.resource(self.owner.base_url) for c in chunk],
            "meta": {
                "page": page,
                "page_size": size,
                "first_page_url": f"{url}0",
                "previous_page_url": f"{url}{page - 1}" if page else None,
                "url": f"{url}{page}",
                "next_page_url": f"{url}{page + 1}" if more else None,
                "key": "contents",
            },
        }

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if _CONTENTS.match(url.path):
            return self._content_request("GET", url.path)
        if url.path == "/_sandbox/stats":
            return self._send(200, {"outside_window": self.owner.outside_window})
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
        if url.path == "/_sandbox/callbacks":
            self.owner.status_callbacks.wait_idle()
            return self._send(200, {"callbacks": self.owner.status_callbacks.posted})
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
