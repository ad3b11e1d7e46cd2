"""Suite-wide fixtures: a network guard, the real local stack (Postgres, emulator, functions)."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

os.environ.pop("GEMINI_API_KEY", None)  # nothing in the suite may reach the real Gemini
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/duka-runtime")
os.makedirs("/tmp/duka-runtime", mode=0o700, exist_ok=True)

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ConnectionRefusedError(f"tests may not reach {host}: fake it on loopback")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any Twilio sandbox was asked for free text (or other session-only
    content) outside a customer's 24-hour window: WhatsApp would have refused it (63016)."""
    from duka_local.sandboxes.twilio_sandbox import outside_window_seen

    refused = outside_window_seen()
    if refused:
        lines = "\n".join(f"  to {r['to']} from {r['from']}: {r['body'][:80]!r}" for r in refused)
        print(
            f"\n{len(refused)} free-text WhatsApp send(s) outside the 24-hour window "
            f"(WhatsApp refuses them with 63016; send a template):\n{lines}",
            file=sys.stderr,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The whole local stack on free ports; its environment is applied to this process."""
    from duka_local.stack.session import applied_stack

    with applied_stack(tmp_path_factory.mktemp("duka-home"), scheduler_interval=2.0) as env:
        yield env


@pytest.fixture()
def admin_db(stack: dict[str, str]) -> Iterator[psycopg.Connection[Any]]:
    from psycopg.rows import dict_row

    with psycopg.connect(stack["DATABASE_URL"], autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture()
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Change environment variables for one test as `duka.config.get_settings()` sees them.

    Each call sets the variables (None removes one) and drops the cached settings; after the
    test the environment is restored and the settings dropped again.
    """
    from duka.config import get_settings

    def change(**variables: str | None) -> None:
        for name, value in variables.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield change
    monkeypatch.undo()
    get_settings.cache_clear()


def random_kenyan_number() -> str:
    return "+2547" + "".join(secrets.choice("0123456789") for _ in range(8))


@pytest.fixture()
def boutique(stack: dict[str, str]) -> dict[str, str]:
    """A fresh business with a small catalogue, searchable."""
    from duka.catalog.importer import import_catalogue
    from duka.db.pool import transaction
    from duka.store.businesses import create_business

    number = random_kenyan_number()
    with transaction() as conn:
        business_id = create_business(
            conn, name="Test Boutique", whatsapp_number=number, phone=random_kenyan_number()
        )
    csv_path = Path(__file__).parent / "data" / "small_catalogue.csv"
    import_catalogue(csv_path, number, wait=True, timeout=30)
    return {"id": business_id, "number": number}


@pytest.fixture()
def phone(stack: dict[str, str], boutique: dict[str, str]) -> Any:
    from duka_local.simulator import WhatsAppSimulator

    return WhatsAppSimulator(
        webhook_base_url=stack["WEBHOOK_BASE_URL"],
        twilio_api_base_url=stack["TWILIO_API_BASE_URL"],
        auth_token=stack["TWILIO_AUTH_TOKEN"],
        account_sid=stack["TWILIO_ACCOUNT_SID"],
        business_number=boutique["number"],
        customer_number=random_kenyan_number(),
        database_url=stack["DATABASE_URL"],
    )


@pytest.fixture(scope="module")
def app(stack: dict[str, str]) -> Iterator[Any]:
    """The dashboard's Flask app on the running stack (dashboard and reliability tests)."""
    from tests.dashboard_helpers import dashboard_app

    with dashboard_app(stack) as application:
        yield application


@pytest.fixture()
def shop(admin_db: Any) -> Any:
    """A boutique with an owner who may sign in to its dashboard."""
    from tests.dashboard_helpers import create_owned_boutique

    return create_owned_boutique(admin_db)
