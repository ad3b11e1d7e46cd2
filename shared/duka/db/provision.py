"""`duka db provision-app-role`: migrate as the owner, then make `duka_app` a login role.

The owner (Supabase: `postgres`) runs the migrations, which create `duka_app` NOLOGIN and grant
it what the functions need. This gives it a login and a password and returns the connection
URL the functions use (`database-url` secret). The password reaches the server only as a
SCRAM-SHA-256 verifier, so it is not in the server's statement log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from duka.db.migrate import migrate
from duka.errors import Rejected

APP_ROLE = "duka_app"
_SCRAM_ITERATIONS = 4096  # PostgreSQL's own default


class InvalidPassword(Rejected, ValueError):
    """A given password the command will not set."""


@dataclass(frozen=True)
class Provisioned:
    status: str  # "created" (it could not log in before), "rotated" or "exists" (unchanged)
    url: str | None  # the app connection URL; None when the password was left unchanged


def generate_password() -> str:
    return secrets.token_urlsafe(32)  # 256 bits, URL-safe: no escaping in the URL


def check_password(password: str) -> str:
    if len(password) < 16 or not password.isascii() or not password.isprintable():
        raise InvalidPassword("the password must be 16+ printable ASCII characters")
    return password


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802/7677)."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _SCRAM_ITERATIONS)
    stored_key = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${_SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def app_url(admin_url: str, password: str) -> str:
    """The admin URL with the app role and password: same host, port, database and options.

    Supabase's pooler names users `<role>.<project-ref>`; the project ref is kept.
    """
    if not admin_url.startswith(("postgres://", "postgresql://")):
        user = conninfo_to_dict(admin_url).get("user") or ""
        return make_conninfo(admin_url, user=_app_user(str(user)), password=password)
    parts = urlsplit(admin_url)
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(_app_user(user), safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def _app_user(admin_user: str) -> str:
    _, dot, project_ref = admin_user.partition(".")
    return f"{APP_ROLE}.{project_ref}" if dot else APP_ROLE


def provision_app_role(
    admin_url: str, *, password: str | None = None, rotate: bool = False
) -> Provisioned:
    """Idempotent: a role that can already log in keeps its password unless `rotate`."""
    migrate(admin_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        can_login = _can_login(conn)
        conn.execute(
            sql.SQL(
                "ALTER ROLE {} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION"
            ).format(sql.Identifier(APP_ROLE))
        )
        if can_login and not rotate:
            return Provisioned("exists", None)
        new_password = check_password(password) if password is not None else generate_password()
        conn.execute(
            sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(APP_ROLE), sql.Literal(scram_verifier(new_password))
            )
        )
    return Provisioned("rotated" if can_login else "created", app_url(admin_url, new_password))


def _can_login(conn: psycopg.Connection[Any]) -> bool:
    query = "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s"
    row = conn.execute(query, (APP_ROLE,)).fetchone()
    return bool(row and row[0])
