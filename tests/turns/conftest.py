"""The in-process turn tier: only an embedded Postgres, no functions, emulator or fakes on ports.

A turn runs as the application role inside a tenant transaction, exactly as process_message
calls it, with an injected model (tests/turns/models.py) and clock; each turn takes
milliseconds. The demo catalogue is imported and indexed once per session, in-process.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from duka.config import get_settings
from duka_local.stack.database import DatabaseUrls, start_local_database, stop_local_database
from tests.turns.chat import Chat, Shop, create_shop

DEMO_CSV = Path(__file__).resolve().parents[2] / "shared" / "duka_local" / "demo" / "catalogue.csv"


_PRISTINE_ENVIRONMENT = dict(os.environ)  # read when pytest loads this file, before any stack


@pytest.fixture(scope="session")
def turn_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseUrls]:
    data_dir = tmp_path_factory.mktemp("turn-pgdata")
    urls = start_local_database(data_dir)
    yield urls
    stop_local_database(data_dir)


@pytest.fixture(scope="session")
def _turn_env(
    turn_database: DatabaseUrls, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    return {
        # Set-up and code that opens its own connections; turns run as the application role.
        "DATABASE_URL": turn_database.admin,
        "PRODUCT_IMAGE_DIR": str(tmp_path_factory.mktemp("turn-images")),
        "EMBEDDINGS": "local",
    }


@pytest.fixture()
def turn_env(_turn_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point this process at the turn database for one test, with the environment the test
    session started with: a stack started by an earlier test applies its own (a payment
    gateway, Twilio), and turns must not depend on which tests ran first."""
    for name in set(os.environ) - set(_PRISTINE_ENVIRONMENT):
        monkeypatch.delenv(name)
    for name, value in {**_PRISTINE_ENVIRONMENT, **_turn_env}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def demo_rows() -> list[dict[str, Any]]:
    from duka_local.demo.images import write_demo_images

    with DEMO_CSV.open() as handle:
        rows = list(csv.DictReader(handle))
    write_demo_images(
        DEMO_CSV.parent / "images", [(r["sku"], r["colors"].split(";")) for r in rows]
    )
    return rows


@pytest.fixture(scope="session")
def _demo_shop(
    turn_database: DatabaseUrls, _turn_env: dict[str, str], demo_rows: list[dict[str, Any]]
) -> Iterator[Shop]:
    yield create_shop(turn_database, DEMO_CSV, _turn_env)


@pytest.fixture()
def demo(
    _demo_shop: Shop, turn_env: None, turn_database: DatabaseUrls, demo_rows: list[dict[str, Any]]
) -> Shop:
    """The demo boutique (read-only for tests: make your own shop to change its settings), its
    stock back to the catalogue's for every test: checkouts in earlier tests reserve stock."""
    with psycopg.connect(turn_database.admin, autocommit=True) as conn:
        conn.execute(
            "UPDATE stock_reservations SET state = 'released'"
            " WHERE business_id = %s AND state = 'reserved'",
            (_demo_shop.id,),
        )
        for row in demo_rows:
            conn.execute(
                "UPDATE products SET stock = %s WHERE business_id = %s AND sku = %s",
                (int(row["stock"]), _demo_shop.id, row["sku"]),
            )
    return _demo_shop


@pytest.fixture()
def chat(demo: Shop, turn_database: DatabaseUrls) -> Chat:
    """A new customer of the demo boutique, model off."""
    return Chat(demo, turn_database)
