"""A local PayLink speaking the wire format assumed in `duka.payments.paylink`.

Also home of `MpesaSandbox`, the simulated M-Pesa customer the Daraja sandbox shares. Its
control API (JSON), used by tests, the local stack and `duka sandbox mpesa ...`:

- `GET /_sandbox/pushes`: every push received, with its status.
- `POST /_sandbox/pushes/<reference>/approve|decline|cancel|timeout`: the customer answers.
  `<reference>` is a checkout_request_id, the gateway's own reference (PayLink mpesa_reference,
  Daraja MerchantRequestID) or an order reference (newest push). Optional body:
  `{"reason": "insufficient_funds"}` for decline (default wrong PIN), and
  `{"lose_callback": true}` to record the outcome for status queries but post no callback.
- `POST /_sandbox/fail_next {"status": 503}` or `{"hang": true}`: the next push answers 503
  without recording anything, or is recorded and then answered too late for any client.
  Optional `"path"` (default: the push endpoint) and `"count"` (default 1).
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from duka.payments.paylink import PUSH_PATH, SIGNATURE_HEADER, USERNAME_HEADER, sign
from duka_local.sandboxes.serving import close_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# What the simulated customer did; None means they paid.
_ACTION_OUTCOMES: dict[str, str | None] = {
    "approve": None,
    "decline": "wrong_pin",
    "cancel": "cancelled",
    "timeout": "timeout",
}
_DECLINE_REASONS = ("wrong_pin", "insufficient_funds")
# A hanging request is released by stop() at the latest.
_HANG_LIMIT_S = 60.0
_PHONE = re.compile(r"\+?254[17]\d{8}")


class UnknownPush(LookupError):
    """No push matches the reference."""


class PushAlreadyAnswered(ValueError):
    """The simulated customer already answered this push."""


@dataclass
class SimulatedPush:
    checkout_request_id: str
    merchant_reference: str
    order_reference: str
    phone: str
    amount_kes: int
    callback_url: str
    request: dict[str, Any]
    status: str = "pending"  # pending | success | failed
    reason: str | None = None  # wrong_pin | insufficient_funds | cancelled | timeout
    transaction_id: str | None = None
    callback_status: int | None = None
    callback_error: str | None = None


@dataclass
class _Fault:
    status: int | None
    hang: bool
    remaining: int


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Tests and the local stack log what matters themselves."""


def json_response(status: int, body: object) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class MpesaSandbox(ABC):
    """A threaded HTTP server recording STK pushes that a simulated customer then answers."""

    push_path: ClassVar[str]

    def __init__(self) -> None:
        self.base_url = ""
        self._lock = threading.Lock()
        self._pushes: list[SimulatedPush] = []
        self._faults: dict[str, _Fault] = {}
        self._requests: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._routes = Map(
            [
                *self.api_rules(),
                Rule("/_sandbox/pushes", methods=["GET"], endpoint=self._list_pushes),
                Rule(
                    "/_sandbox/pushes/<reference>/<any(approve,decline,cancel,timeout):action>",
                    methods=["POST"],
                    endpoint=self._answer,
                ),
                Rule("/_sandbox/fail_next", methods=["POST"], endpoint=self._fail_next),
            ]
        )

    @abstractmethod
    def api_rules(self) -> list[Rule]:
        """The gateway's own endpoints; each rule's endpoint is a method taking the request."""

    @abstractmethod
    def callback_for(self, push: SimulatedPush) -> tuple[bytes, dict[str, str]]:
        """The callback body and headers the gateway posts once the customer answered."""

    @abstractmethod
    def error_response(self, status: int, message: str) -> Response:
        """An error in the gateway's own format."""

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._stopping.clear()
        self._server = make_server(
            host, port, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=type(self).__name__,
            daemon=True,
        ).start()
        self.base_url = f"http://{host}:{self._server.server_port}"
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()
        close_server(self._server)
        self._server = None

    @property
    def pushes(self) -> list[SimulatedPush]:
        with self._lock:
            return [replace(push) for push in self._pushes]

    def request_count(self, path: str) -> int:
        """How many requests arrived for `path`, including those answered with a fault."""
        with self._lock:
            return self._requests[path]

    def fail_next(
        self, status: int | None = None, *, hang: bool = False, path: str = "", count: int = 1
    ) -> None:
        """Make the next `count` requests to `path` (default: pushes) answer `status` or hang."""
        if (status is None) != hang or count < 1:
            raise ValueError("give either a status or hang=True, and a count >= 1")
        with self._lock:
            self._faults[path or self.push_path] = _Fault(status, hang, count)

    def answer(
        self,
        reference: str,
        action: str,
        *,
        reason: str | None = None,
        lose_callback: bool = False,
    ) -> SimulatedPush:
        """Play the customer's answer to a push and post the gateway's callback."""
        if action not in _ACTION_OUTCOMES:
            raise ValueError(f"action must be one of {sorted(_ACTION_OUTCOMES)}")
        outcome = _ACTION_OUTCOMES[action]
        if reason is not None:
            if action != "decline" or reason not in _DECLINE_REASONS:
                raise ValueError(f"reason must be one of {_DECLINE_REASONS} and only for decline")
            outcome = reason
        with self._lock:
            push = self._find(reference)
            if push.status != "pending":
                raise PushAlreadyAnswered(f"push {push.checkout_request_id} is {push.status}")
            push.status = "success" if outcome is None else "failed"
            push.reason = outcome
            if outcome is None:
                push.transaction_id = "Q" + secrets.token_hex(5).upper()[:9]
        # Outside the lock: the receiver may query this sandbox while handling the callback.
        if not lose_callback:
            self._deliver(push)
        with self._lock:
            return replace(push)

    def _find(self, reference: str) -> SimulatedPush:
        """The push a reference names; callers hold the lock."""
        for push in reversed(self._pushes):
            if reference in (push.checkout_request_id, push.merchant_reference):
                return push
        for push in reversed(self._pushes):
            if push.order_reference == reference:
                return push
        raise UnknownPush(f"no push with reference {reference!r}")

    def record(self, push: SimulatedPush) -> None:
        with self._lock:
            self._pushes.append(push)

    def _deliver(self, push: SimulatedPush) -> None:
        body, headers = self.callback_for(push)
        try:
            response = httpx.post(
                push.callback_url,
                content=body,
                headers={"Content-Type": "application/json", **headers},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            with self._lock:
                push.callback_error = repr(exc)
            return
        with self._lock:
            push.callback_status = response.status_code

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, arguments = self._routes.bind_to_environ(environ).match()
        except HTTPException as exc:
            return exc(environ, start_response)
        with self._lock:
            self._requests[request.path] += 1
            fault = self._faults.get(request.path)
            if fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[request.path]
        if fault is not None and fault.status is not None:
            response = self.error_response(fault.status, "sandbox injected failure")
        else:
            response = endpoint(request, **arguments)
            if fault is not None and fault.hang:
                self._stopping.wait(_HANG_LIMIT_S)
        return response(environ, start_response)

    def _list_pushes(self, request: Request) -> Response:
        return json_response(200, {"pushes": [asdict(push) for push in self.pushes]})

    def _answer(self, request: Request, reference: str, action: str) -> Response:
        body = request.get_json(force=True, silent=True) or {}
        if not isinstance(body, dict):
            return json_response(400, {"error": "body must be a JSON object"})
        try:
            push = self.answer(
                reference,
                action,
                reason=body.get("reason"),
                lose_callback=bool(body.get("lose_callback")),
            )
        except UnknownPush as exc:
            return json_response(404, {"error": str(exc)})
        except PushAlreadyAnswered as exc:
            return json_response(409, {"error": str(exc)})
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(200, {"push": asdict(push)})

    def _fail_next(self, request: Request) -> Response:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict):
            return json_response(400, {"error": "body must be a JSON object"})
        status, count = body.get("status"), body.get("count", 1)
        usage = 'send {"status": <int>} or {"hang": true}, optional "path" and "count" >= 1'
        if not isinstance(status, int | None) or not isinstance(count, int):
            return json_response(400, {"error": usage})
        try:
            self.fail_next(
                status, hang=body.get("hang") is True, path=str(body.get("path") or ""), count=count
            )
        except ValueError:
            return json_response(400, {"error": usage})
        return json_response(200, {"ok": True})


class PayLinkSandbox(MpesaSandbox):
    """PayLink's STK push API; callbacks go to the URL configured here, as in its dashboard."""

    push_path = PUSH_PATH

    def __init__(
        self, *, api_key: str, username: str, webhook_secret: str, callback_url: str
    ) -> None:
        self.api_key = api_key
        self.username = username
        self.webhook_secret = webhook_secret
        self.callback_url = callback_url
        super().__init__()

    def api_rules(self) -> list[Rule]:
        return [
            Rule(PUSH_PATH, methods=["POST"], endpoint=self._push),
            Rule(f"{PUSH_PATH}/<checkout_request_id>", methods=["GET"], endpoint=self._status),
        ]

    def callback_for(self, push: SimulatedPush) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(_outcome(push)).encode()
        return body, {SIGNATURE_HEADER: sign(body, self.webhook_secret)}

    def error_response(self, status: int, message: str) -> Response:
        return json_response(status, {"status": "error", "message": message})

    def _authorized(self, request: Request) -> bool:
        bearer = request.headers.get("Authorization", "")
        username = request.headers.get(USERNAME_HEADER, "")
        return hmac.compare_digest(bearer, f"Bearer {self.api_key}") and hmac.compare_digest(
            username, self.username
        )

    def _push(self, request: Request) -> Response:
        if not self._authorized(request):
            return self.error_response(401, "invalid API key or username")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.error_response(400, "body must be a JSON object")
        phone, amount, reference = body.get("phone"), body.get("amount"), body.get("reference")
        if not isinstance(phone, str) or not _PHONE.fullmatch(phone):
            return self.error_response(400, "invalid phone number")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            return self.error_response(400, "amount must be a whole number of shillings >= 1")
        if not isinstance(reference, str) or not reference:
            return self.error_response(400, "reference is required")
        push = SimulatedPush(
            checkout_request_id=f"ws_CO_{secrets.randbelow(10**18):018d}",
            merchant_reference="MPX" + secrets.token_hex(4).upper(),
            order_reference=reference,
            phone=phone,
            amount_kes=amount,
            callback_url=self.callback_url,
            request=body,
        )
        self.record(push)
        return json_response(
            200,
            {
                "status": "pending",
                "checkout_request_id": push.checkout_request_id,
                "mpesa_reference": push.merchant_reference,
            },
        )

    def _status(self, request: Request, checkout_request_id: str) -> Response:
        if not self._authorized(request):
            return self.error_response(401, "invalid API key or username")
        with self._lock:
            try:
                push = replace(self._find(checkout_request_id))
            except UnknownPush:
                return self.error_response(404, "unknown checkout_request_id")
        return json_response(200, _outcome(push))


def _outcome(push: SimulatedPush) -> dict[str, Any]:
    """A push as PayLink reports it, in callbacks and status queries alike."""
    body: dict[str, Any] = {
        "status": push.status,
        "reference": push.order_reference,
        "checkout_request_id": push.checkout_request_id,
        "mpesa_reference": push.merchant_reference,
        "amount": push.amount_kes,
    }
    if push.transaction_id is not None:
        body["transaction_id"] = push.transaction_id
    if push.reason is not None:
        body["reason"] = push.reason
    return body
