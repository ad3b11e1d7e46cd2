"""Pooled connections and tenant-scoped transactions (RLS reads app.business_id)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from duka.config import get_settings
from duka.errors import Transient

Connection = psycopg.Connection[dict[str, Any]]

_pools: dict[str, ConnectionPool[Connection]] = {}
_lock = threading.Lock()
# Run on every connection a pool opens; a check that raises keeps the connection out of the pool.
_connection_checks: list[Callable[[Connection], None]] = []


class DatabaseUnavailable(Transient):
    """Transient: the database could not be reached; the caller should retry."""


def _configure(conn: Connection) -> None:
    # Supabase's transaction pooler cannot keep server-side prepared statements.
    conn.prepare_threshold = None
    for check in _connection_checks:
        check(conn)


def check_each_new_connection(check: Callable[[Connection], None]) -> None:
    """Run `check` on each connection the pools open from now on (functions: the role check)."""
    with _lock:
        if check not in _connection_checks:
            _connection_checks.append(check)


def get_pool(url: str | None = None) -> ConnectionPool[Connection]:
    url = url or get_settings().require_database_url()
    with _lock:
        pool = _pools.get(url)
        if pool is None:
            pool = ConnectionPool(
                url,
                min_size=1,
                max_size=get_settings().db_pool_max,
                kwargs={"row_factory": dict_row, "autocommit": True},
                configure=_configure,
                # After a database restart, hand out only live connections.
                check=ConnectionPool.check_connection,
                open=True,
                timeout=10,
                name="duka",
            )
            _pools[url] = pool
        return pool


def close_pools() -> None:
    with _lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


@contextmanager
def transaction(url: str | None = None) -> Iterator[Connection]:
    """A transaction with no tenant set: under RLS it sees no tenant rows."""
    try:
        with get_pool(url).connection() as conn, conn.transaction():
            yield conn
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(str(exc)) from exc


@contextmanager
def tenant_transaction(business_id: str, url: str | None = None) -> Iterator[Connection]:
    """A transaction in which RLS shows only `business_id`'s rows."""
    with transaction(url) as conn:
        conn.execute("SELECT set_config('app.business_id', %s, true)", (str(business_id),))
        yield conn
