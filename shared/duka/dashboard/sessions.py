"""Server-side dashboard sessions: the cookie is an opaque random token, the row is the truth.

The browser holds 32 random bytes; `owner_sessions` (migration 011) holds only their SHA-256,
with the phone and boutique once signed in, and the rest of the session (CSRF token, the phone
being verified, flash messages) as JSON. The application role reaches a row only through the
definer functions, by the hash of a token it was given. Signing in or out always moves to a new
token (the old row is revoked), so a token seen before sign-in is worthless after it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SessionInterface
from psycopg.types.json import Jsonb
from werkzeug.wrappers import Response

from duka.dashboard.client_ip import client_ip
from duka.db.pool import transaction

VISITOR_LIFETIME = timedelta(hours=1)  # the sign-in pages, before a code was accepted
IDENTITY = ("phone", "business_id")  # kept in columns, so revocation can find the rows


class ServerSession(SecureCookieSession):
    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        identity: tuple[str | None, str | None] = (None, None),
    ) -> None:
        super().__init__(initial or {})
        self.token = token
        self.loaded_identity = identity

    def identity(self) -> tuple[str | None, str | None]:
        return (self.get("phone"), self.get("business_id"))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_everywhere(session: ServerSession) -> int:
    """End every session of this session's phone (this one included); returns how many."""
    if session.token is None:
        return 0
    with transaction() as conn:
        row = conn.execute(
            "SELECT owner_session_revoke_everywhere(%s) AS n", (token_hash(session.token),)
        ).fetchone()
    session.clear()
    return int(row["n"]) if row and row["n"] is not None else 0


class ServerSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(self.get_cookie_name(app))
        if not token or len(token) > 100:
            return ServerSession()
        with transaction() as conn:
            row = conn.execute(
                "SELECT * FROM owner_session_load(%s)", (token_hash(token),)
            ).fetchone()
        if row is None:
            return ServerSession()
        identity = (row["phone"], str(row["business_id"]) if row["business_id"] else None)
        data = dict(row["data"])
        data.update({k: v for k, v in zip(IDENTITY, identity, strict=True) if v is not None})
        return ServerSession(data, token=token, identity=identity)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        assert isinstance(session, ServerSession)
        if session.accessed:
            response.vary.add("Cookie")
        identity = session.identity()
        data = Jsonb({k: v for k, v in session.items() if k not in IDENTITY})
        if session.token is not None and identity == session.loaded_identity:
            if session.modified:
                with transaction() as conn:
                    conn.execute(
                        "SELECT owner_session_save(%s, %s)", (token_hash(session.token), data)
                    )
            return
        if session.token is not None:  # signed in or out: the old token dies
            with transaction() as conn:
                conn.execute("SELECT owner_session_revoke(%s)", (token_hash(session.token),))
        if not session:
            self._delete_cookie(app, response)
            return
        token = secrets.token_urlsafe(32)
        lifetime = app.permanent_session_lifetime if identity[0] else VISITOR_LIFETIME
        with transaction() as conn:
            row = conn.execute(
                "SELECT owner_session_create(%s, %s, %s, %s, %s, %s, %s) AS expires_at",
                (
                    token_hash(token),
                    identity[0],
                    identity[1],
                    data,
                    lifetime,
                    request.headers.get("User-Agent"),
                    client_ip(request),
                ),
            ).fetchone()
        expires: datetime | None = row["expires_at"] if row else None
        response.set_cookie(
            self.get_cookie_name(app),
            token,
            expires=expires,
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )

    def _delete_cookie(self, app: Flask, response: Response) -> None:
        response.delete_cookie(
            self.get_cookie_name(app),
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )
