"""One local base URL for every public path, as function URLs are in production."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
from werkzeug.wrappers import Request, Response

WHATSAPP_WEBHOOK = "/webhook/whatsapp"
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
}


class Gateway:
    """Routes by path prefix to upstream servers, passing body and headers through (plus
    `X-Forwarded-For`, as Google's front end sets it).

    `on_whatsapp_inbound(customer, business)` is told of each WhatsApp message the webhook
    accepted: the Twilio sandbox's view of who wrote when (the 24-hour window).
    """

    def __init__(
        self,
        routes: dict[str, str],
        on_whatsapp_inbound: Callable[[str, str], None] | None = None,
    ) -> None:
        self.on_whatsapp_inbound = on_whatsapp_inbound
        # Longest prefix first so /webhook/paylink wins over /webhook.
        self.routes = sorted(routes.items(), key=lambda item: -len(item[0]))
        # No cookie jar: one browser's session cookie must never be replayed for another.
        self.client = httpx.Client(
            timeout=30.0,
            limits=httpx.Limits(max_connections=200),
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )

    def upstream_for(self, path: str) -> str | None:
        for prefix, upstream in self.routes:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return upstream
        return None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        upstream = self.upstream_for(request.path)
        if upstream is None:
            response = Response("no route", status=404)
            return response(environ, start_response)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        # Like Google's front end: append the address the connection came from (the client
        # may have sent its own entries; only this last one can be trusted).
        forwarded = request.headers.get("X-Forwarded-For")
        client = request.remote_addr or "unknown"
        headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
        try:
            proxied = self.client.request(
                request.method,
                upstream + request.full_path.rstrip("?"),
                content=request.get_data(),
                headers=headers,
            )
        except httpx.TransportError as exc:
            response = Response(f"upstream unavailable: {exc}", status=502)
            return response(environ, start_response)
        out_headers = [
            (k, v) for k, v in proxied.headers.multi_items() if k.lower() not in _HOP_BY_HOP
        ]
        if (
            self.on_whatsapp_inbound is not None
            and request.method == "POST"
            and request.path == WHATSAPP_WEBHOOK
            and proxied.is_success
        ):
            self.on_whatsapp_inbound(request.form.get("From", ""), request.form.get("To", ""))
        response = Response(proxied.content, status=proxied.status_code, headers=out_headers)
        return response(environ, start_response)
