"""Apply the plain-SQL migrations in order, once each, recorded in schema_migrations; then
re-apply the privilege hardening (duka/db/hardening.py), inside each migration's transaction and
once more at the end of every run (databases migrated before it existed, drift)."""

from __future__ import annotations

from importlib import resources

import psycopg

from duka.db.hardening import harden_privileges

_LOCK_KEY = 727_001  # serialises concurrent migrators


def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("duka.db") / "migrations"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name, (folder / name).read_text()) for name in names]


def migrate(admin_url: str) -> list[str]:
    """Apply pending migrations; returns the versions applied. Safe to re-run."""
    applied: list[str] = []
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for version, sql in migration_files():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(sql.encode())
                    harden_privileges(conn)
                    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                applied.append(version)
            with conn.transaction():
                harden_privileges(conn)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied
