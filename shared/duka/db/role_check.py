"""Functions refuse to serve as a database role that could bypass Row Level Security.

Tenant isolation holds only for a role that is not a superuser, has no BYPASSRLS and does not
own the tables (an owner can ALTER or DISABLE their RLS). Membership in such a role counts too:
a member can SET ROLE to it. Supabase's default connection string (role `postgres`) fails.

Each function calls `require_safe_database_role()` at start-up: one connection, one query; an
unsafe role raises, so the function never starts. From then on every connection its pool opens
is checked the same way before use. So if the database is unreachable at start-up, the function
starts anyway (a crash loop would only repeat the outage) and an unsafe role is still refused
on its first connection: no request gets a connection, and each refusal logs the CRITICAL line.
The CLI and the tests connect as the owner on purpose; they never call this.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from duka.config import ConfigError, get_settings
from duka.db.pool import check_each_new_connection
from duka.logs import log

logger = logging.getLogger("duka.db.role_check")

_CONNECT_TIMEOUT_SECONDS = 5

# Every reason the login role (session_user) or the active role (current_user) could bypass
# RLS, one row each: being or belonging to a superuser or BYPASSRLS role, and being or belonging
# to the owner of a table with RLS enabled.
_UNSAFE_REASONS = """
WITH me AS (
    SELECT oid, rolname FROM pg_roles WHERE rolname IN (session_user, current_user)
)
SELECT me.rolname,
       CASE WHEN r.oid = me.oid THEN '' ELSE 'is a member of ' || r.rolname || ', which ' END
       || CASE WHEN r.rolsuper THEN 'is a superuser' ELSE 'has BYPASSRLS' END
  FROM me JOIN pg_roles r
    ON (r.rolsuper OR r.rolbypassrls) AND pg_has_role(me.oid, r.oid, 'MEMBER')
UNION ALL
SELECT me.rolname,
       CASE WHEN o.oid = me.oid THEN 'owns'
            ELSE 'is a member of ' || o.rolname || ', which owns' END
       || ' tables with row level security: '
       || string_agg(c.oid::regclass::text, ', ' ORDER BY c.oid::regclass::text)
  FROM me JOIN pg_class c ON c.relrowsecurity AND c.relkind IN ('r', 'p')
          JOIN pg_roles o ON o.oid = c.relowner AND pg_has_role(me.oid, o.oid, 'MEMBER')
 GROUP BY me.rolname, me.oid, o.oid, o.rolname
"""


class UnsafeDatabaseRole(ConfigError):
    """DATABASE_URL names a role that could bypass Row Level Security."""

    def __init__(self, role: str, reasons: list[str]) -> None:
        self.role = role
        self.reasons = reasons
        super().__init__(
            f"refusing to serve: database role {role!r} could bypass row level security "
            f"({'; '.join(reasons)}); DATABASE_URL must name the application role duka_app "
            "(see `duka db provision-app-role`)"
        )


def assert_app_role_is_safe(conn: psycopg.Connection[Any]) -> None:
    """Raise UnsafeDatabaseRole, after logging it at CRITICAL, if `conn`'s role could bypass RLS."""
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(_UNSAFE_REASONS).fetchall()
        if not conn.autocommit:
            conn.rollback()  # leave the connection idle, as a pool expects it
    if not rows:
        return
    role = str(rows[0][0])
    error = UnsafeDatabaseRole(role, [f"{name} {reason}" for name, reason in rows])
    log(logger, logging.CRITICAL, str(error), role=role, reasons=error.reasons)
    raise error


def _check_pooled(conn: psycopg.Connection[Any]) -> None:
    try:
        assert_app_role_is_safe(conn)
    except UnsafeDatabaseRole:
        conn.close()  # the pool discards it and hands out nothing
        raise


def require_safe_database_role() -> None:
    """Start-up check of DATABASE_URL's role; raises UnsafeDatabaseRole when it is unsafe."""
    url = get_settings().require_database_url()
    check_each_new_connection(_check_pooled)
    try:
        with psycopg.connect(url, connect_timeout=_CONNECT_TIMEOUT_SECONDS) as conn:
            assert_app_role_is_safe(conn)
    except psycopg.OperationalError as exc:
        log(
            logger,
            logging.ERROR,
            "database unreachable at start-up: its role will be checked on each new connection",
            error=str(exc),
        )
