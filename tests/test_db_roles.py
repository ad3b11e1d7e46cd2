"""The production database role: Supabase's API roles can use nothing of Duka's, `duka_app` is
provisioned with a login, and a function refuses to serve as a role that could bypass RLS.

These run in a throwaway PostgreSQL cluster of their own, not the stack's: roles are cluster-wide
and these tests create roles and give `duka_app` a password, which would cut the running stack's
functions off. Unlike pgserver's default, the cluster checks passwords (SCRAM) for every role
but `postgres`, so a wrong or rotated password is really refused.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg_pool import ConnectionPool

from duka.config import get_settings
from duka.db import pool
from duka.db.migrate import migrate, migration_files
from duka.db.pool import DatabaseUnavailable, transaction
from duka.db.role_check import (
    UnsafeDatabaseRole,
    assert_app_role_is_safe,
    require_safe_database_role,
)
from duka_local.cli import main as duka_cli
from duka_local.stack.processes import free_port

REPO = Path(__file__).resolve().parent.parent
API_ROLES = ("anon", "authenticated")
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh cluster set up the way Supabase sets up a project, then migrated: its admin URL."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("roles-pgdata"), cleanup_mode="delete")
    admin = server.get_uri()
    (server.pgdata / "pg_hba.conf").write_text(
        "local all postgres trust\nlocal all all scram-sha-256\n"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
        for role in API_ROLES:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN NOINHERIT").format(sql.Identifier(role)))
        # What Supabase runs in every project: the API roles get everything in schema public.
        conn.execute("GRANT USAGE ON SCHEMA public TO anon, authenticated")
        for kind in ("TABLES", "FUNCTIONS", "SEQUENCES"):
            grant = (
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON {} TO anon, authenticated"
            )
            conn.execute(sql.SQL(grant).format(sql.SQL(kind)))
        # A project migrated before the hardening existed: every object carries those grants.
        # migrate() then applies the newest migration and hardens everything.
        conn.execute("CREATE TABLE schema_migrations (version text PRIMARY KEY)")
        for version, script in migration_files()[:-1]:
            conn.execute(script.encode())
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
        assert conn.execute("SELECT has_table_privilege('anon', 'customers', 'SELECT')").fetchone()
    assert migrate(admin) == [migration_files()[-1][0]]
    yield admin
    server.cleanup()


@pytest.fixture()
def admin(cluster: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(cluster, autocommit=True) as conn:
        yield conn


def url_for(cluster: str, role: str, password: str) -> str:
    return cluster.replace("postgresql://postgres:@", f"postgresql://{role}:{password}@", 1)


def tables(admin: psycopg.Connection[Any]) -> list[str]:
    rows = admin.execute(
        "SELECT c.oid::regclass::text FROM pg_class c"
        " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')"
    ).fetchall()
    return sorted(row[0] for row in rows)


def duka_functions(admin: psycopg.Connection[Any]) -> list[tuple[str, sql.Composable | None]]:
    """Every function Duka defines in schema public, with a call of it on NULL arguments.

    Extensions' own functions (pgvector, pg_trgm) are left out: they compute on the values
    passed in and read no table. Trigger functions cannot be called (no call: None).
    """
    rows = admin.execute(
        "SELECT p.oid::regprocedure::text, p.oid::regproc::text,"
        "       p.prorettype = 'trigger'::regtype,"
        "       ARRAY(SELECT format_type(t, NULL)"
        "               FROM unnest(p.proargtypes) WITH ORDINALITY AS a(t, n) ORDER BY n)"
        "  FROM pg_proc p"
        " WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f'"
        "   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass"
        "                   AND d.objid = p.oid AND d.deptype = 'e')"
    ).fetchall()
    calls: list[tuple[str, sql.Composable | None]] = []
    for signature, name, trigger, types in sorted(rows):
        call = None
        if not trigger:
            nulls = sql.SQL(", ").join(sql.SQL("NULL::" + t) for t in types)
            call = sql.SQL("SELECT {}({})").format(sql.SQL(name), nulls)
        calls.append((signature, call))
    return calls


def refused(admin: psycopg.Connection[Any], role: str, statement: sql.Composable) -> bool:
    """Run `statement` as `role`, then roll back; True if PostgreSQL refused it for lack of
    privilege."""
    try:
        with admin.transaction():
            admin.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
            admin.execute(statement)
            raise psycopg.Rollback()
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def may_execute(admin: psycopg.Connection[Any], role: str, signature: str) -> bool:
    query = "SELECT has_function_privilege(%s, %s, 'EXECUTE')"
    return bool(admin.execute(query, (role, signature)).fetchone()[0])  # type: ignore[index]


@pytest.mark.parametrize("role", API_ROLES)
def test_supabase_api_roles_can_read_or_write_no_table(
    admin: psycopg.Connection[Any], role: str
) -> None:
    every_table = tables(admin)
    assert {"businesses", "customers", "orders", "schema_migrations"} <= set(every_table)

    # A row policy's function may be refused before the table is, so privileges are also
    # asked directly: none at all on any table.
    readable = [
        table
        for table in every_table
        if not refused(admin, role, sql.SQL("SELECT 1 FROM {}").format(sql.SQL(table)))
    ]
    privileges = [
        f"{privilege} {table}"
        for table in every_table
        for privilege in TABLE_PRIVILEGES
        if admin.execute(
            "SELECT has_table_privilege(%s, %s, %s)", (role, table, privilege)
        ).fetchone()
        != (False,)
    ]

    assert readable == [], f"{role} can read {readable}"
    assert privileges == [], f"{role} has {privileges}"


@pytest.mark.parametrize("role", API_ROLES)
def test_supabase_api_roles_can_call_no_function(admin: psycopg.Connection[Any], role: str) -> None:
    calls = duka_functions(admin)
    assert "business_id_for_whatsapp(text)" in dict(calls)

    callable_ = [
        signature
        for signature, call in calls
        if (not refused(admin, role, call) if call else may_execute(admin, role, signature))
    ]

    assert callable_ == [], f"{role} can call {callable_}"


def test_what_a_later_migration_adds_is_closed_to_api_roles(
    cluster: str, admin: psycopg.Connection[Any]
) -> None:
    check = (
        "SELECT has_table_privilege(%(r)s, 'later_table', 'SELECT'),"
        " has_sequence_privilege(%(r)s, 'later_table_id_seq', 'USAGE'),"
        " has_function_privilege(%(r)s, 'later_function()', 'EXECUTE')"
    )
    admin.execute("CREATE TABLE later_table (id serial PRIMARY KEY)")
    admin.execute("CREATE FUNCTION later_function() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    try:
        before = [admin.execute(check, {"r": role}).fetchone() for role in API_ROLES]
        migrate(cluster)  # nothing pending: the hardening alone
        after = [admin.execute(check, {"r": role}).fetchone() for role in API_ROLES]
        app = admin.execute(check, {"r": "duka_app"}).fetchone()
    finally:
        admin.execute("DROP TABLE later_table")
        admin.execute("DROP FUNCTION later_function()")

    # Supabase's default grants are gone; a new function is open to PUBLIC until hardened.
    assert before == [(False, False, True)] * len(API_ROLES)
    assert after == [(False, False, False)] * len(API_ROLES)
    assert app == (False, False, True)


def test_duka_app_can_still_do_its_job(admin: psycopg.Connection[Any]) -> None:
    seen: dict[str, Any] = {}
    with admin.transaction():
        business_id = admin.execute(
            "INSERT INTO businesses (name, whatsapp_number) VALUES ('Roles', '+254700999001')"
            " RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        admin.execute("SET LOCAL ROLE duka_app")
        seen["found"] = admin.execute("SELECT business_id_for_whatsapp('+254700999001')").fetchone()
        admin.execute("SELECT set_config('app.business_id', %s, true)", (str(business_id),))
        admin.execute(
            "INSERT INTO customers (business_id, phone) VALUES (%s, '+254700999003')",
            (business_id,),
        )
        seen["customers"] = admin.execute("SELECT count(*) FROM customers").fetchone()
        raise psycopg.Rollback()

    assert seen == {"found": (business_id,), "customers": (1,)}


def test_provisioning_gives_duka_app_a_login_and_only_rotates_when_asked(
    cluster: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", cluster)

    assert duka_cli(["db", "provision-app-role"]) == 0
    first = capsys.readouterr()
    app_url = first.out.strip()
    assert "duka_app created" in first.err
    with psycopg.connect(app_url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("duka_app",)
        assert_app_role_is_safe(conn)  # accepted: the role the functions must use

    assert duka_cli(["db", "provision-app-role"]) == 0
    again = capsys.readouterr()
    assert again.out == ""
    assert "password is unchanged" in again.err
    psycopg.connect(app_url).close()  # the first password still works

    monkeypatch.setattr("sys.stdin", _Stdin("given-password-0123456789\n"))
    assert duka_cli(["db", "provision-app-role", "--rotate", "--password-stdin"]) == 0
    rotated = capsys.readouterr().out.strip()
    assert rotated == url_for(cluster, "duka_app", "given-password-0123456789")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(app_url)
    psycopg.connect(rotated).close()


class _Stdin:
    def __init__(self, text: str) -> None:
        self.text = text

    def readline(self) -> str:
        return self.text


@pytest.fixture()
def login_role(admin: psycopg.Connection[Any], cluster: str) -> Iterator[Any]:
    """make(name, *attributes) → the URL of a new role (LOGIN unless attributes are given);
    all are dropped afterwards."""
    made: list[str] = []

    def make(name: str, *attributes: str) -> str:
        admin.execute(
            sql.SQL("CREATE ROLE {} PASSWORD 'probe-password' {}").format(
                sql.Identifier(name), sql.SQL(" ".join(attributes or ["LOGIN"]))
            )
        )
        made.append(name)
        return url_for(cluster, name, "probe-password")

    yield make
    admin.execute("ALTER TABLE customers OWNER TO postgres")
    for name in reversed(made):
        admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def refusal(url: str, caplog: pytest.LogCaptureFixture) -> tuple[str, str]:
    """The start-up check on `url`: the error's message and the CRITICAL line it logged."""
    with psycopg.connect(url) as conn, pytest.raises(UnsafeDatabaseRole) as raised:
        assert_app_role_is_safe(conn)
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL]
    return str(raised.value), line


def test_the_check_refuses_a_superuser(cluster: str, caplog: pytest.LogCaptureFixture) -> None:
    message, line = refusal(cluster, caplog)

    assert "'postgres'" in message and "postgres is a superuser" in message
    assert line == message


def test_the_check_refuses_a_role_with_bypassrls(
    login_role: Any, caplog: pytest.LogCaptureFixture
) -> None:
    message, _ = refusal(login_role("probe_bypass", "LOGIN", "BYPASSRLS"), caplog)

    assert "probe_bypass has BYPASSRLS" in message


def test_the_check_refuses_a_member_of_a_role_with_bypassrls(
    login_role: Any, admin: psycopg.Connection[Any], caplog: pytest.LogCaptureFixture
) -> None:
    login_role("probe_admins", "NOLOGIN", "BYPASSRLS")
    url = login_role("probe_member")
    admin.execute("GRANT probe_admins TO probe_member")

    message, _ = refusal(url, caplog)

    assert "probe_member is a member of probe_admins, which has BYPASSRLS" in message


def test_the_check_refuses_the_owner_of_a_tenant_table(
    login_role: Any, admin: psycopg.Connection[Any], caplog: pytest.LogCaptureFixture
) -> None:
    url = login_role("probe_owner")
    admin.execute("ALTER TABLE customers OWNER TO probe_owner")

    message, _ = refusal(url, caplog)

    assert "probe_owner owns tables with row level security: customers" in message


def test_a_function_started_as_the_owner_logs_why_and_never_serves(cluster: str) -> None:
    framework = Path(sys.executable).with_name("functions-framework")
    source = REPO / "functions" / "whatsapp_inbound" / "main.py"
    env = {**os.environ, "DATABASE_URL": cluster, "DUKA_ENV": "local"}
    command = [str(framework), "--target", "whatsapp_inbound", "--source", str(source)]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(free_port())],
        env=env,
        cwd=source.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the function started and is serving as the superuser postgres")

    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    critical = [line for line in lines if line["severity"] == "CRITICAL"]
    assert process.returncode != 0
    assert len(critical) == 1
    assert critical[0]["role"] == "postgres"
    assert "postgres is a superuser" in critical[0]["message"]


def test_unreachable_at_start_up_the_role_is_checked_on_the_first_connection(
    cluster: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    socket_dir = tempfile.mkdtemp(prefix="duka-pg-")  # short: unix socket paths are limited
    real_socket_dir = cluster.split("host=", 1)[1]
    url = cluster.replace(real_socket_dir, socket_dir)
    monkeypatch.setattr(pool, "_connection_checks", [])
    monkeypatch.setattr(pool, "_pools", {})
    waits: list[float] = []
    monkeypatch.setattr(pool, "ConnectionPool", quick_pool(waits))
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        require_safe_database_role()  # the database is down: the function starts
        assert any("unreachable at start-up" in r.getMessage() for r in caplog.records)

        socket_name = ".s.PGSQL.5432"
        os.symlink(Path(real_socket_dir) / socket_name, Path(socket_dir) / socket_name)
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable), transaction():
            pass
        assert time.monotonic() - started < 30
        assert waits and all(wait < 30 for wait in waits)  # what a function would wait at most
    finally:
        pool.close_pools()
        get_settings.cache_clear()

    critical = [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL]
    assert critical and "postgres is a superuser" in critical[0]


def quick_pool(waits: list[float]) -> type[ConnectionPool[Any]]:
    """The pool class, waiting 1 s instead of its configured time (recorded in `waits`) for a
    connection that passes the checks: every connection to this cluster fails the role check,
    so the configured wait would only be sat out."""

    class QuickPool(ConnectionPool[Any]):
        def __init__(self, *args: Any, timeout: float = 30.0, **kwargs: Any) -> None:
            waits.append(timeout)
            super().__init__(*args, timeout=1.0, **kwargs)

    return QuickPool
