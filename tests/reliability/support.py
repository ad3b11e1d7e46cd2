"""Helpers for the reliability suite: boutiques, fault control of the sandboxes, database probes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from duka_local.simulator import WhatsAppSimulator
from tests.conftest import random_kenyan_number

SMALL_CSV = Path(__file__).resolve().parents[1] / "data" / "small_catalogue.csv"
T = TypeVar("T")


@dataclass(frozen=True)
class Boutique:
    id: str
    number: str
    owner: str


def create_boutique(name: str = "Reliable Boutique", csv_path: Path = SMALL_CSV) -> Boutique:
    """A business with an owner and a searchable catalogue, on the stack this process points at."""
    from duka.catalog.importer import import_catalogue
    from duka.db.pool import transaction
    from duka.store.businesses import create_business

    number, owner = random_kenyan_number(), random_kenyan_number()
    with transaction() as conn:
        business_id = create_business(conn, name=name, whatsapp_number=number, phone=owner)
        conn.execute(
            "INSERT INTO business_owners (business_id, phone) VALUES (%s, %s)",
            (business_id, owner),
        )
    import_catalogue(csv_path, number, wait=True, timeout=60)
    return Boutique(business_id, number, owner)


def customer(env: dict[str, str], shop: Boutique, number: str | None = None) -> WhatsAppSimulator:
    return WhatsAppSimulator(
        webhook_base_url=env["WEBHOOK_BASE_URL"],
        twilio_api_base_url=env["TWILIO_API_BASE_URL"],
        auth_token=env["TWILIO_AUTH_TOKEN"],
        account_sid=env["TWILIO_ACCOUNT_SID"],
        business_number=shop.number,
        customer_number=number or random_kenyan_number(),
        database_url=env["DATABASE_URL"],
    )


class Twilio:
    """The Twilio sandbox's control API: failures on command, and what it was asked to send."""

    def __init__(self, env: dict[str, str]) -> None:
        self.base_url = env["TWILIO_API_BASE_URL"]

    def fail_next(
        self, status: int, code: int, *, to: str, count: int = 1, accept: bool = False
    ) -> None:
        spec = {"status": status, "code": code, "count": count, "to": to, "accept": accept}
        httpx.post(self.base_url + "/_sandbox/fail_next", json=spec).raise_for_status()

    def clear_failures(self) -> None:
        httpx.post(self.base_url + "/_sandbox/clear_failures").raise_for_status()

    def messages_to(self, number: str) -> list[dict[str, Any]]:
        response = httpx.get(self.base_url + "/_sandbox/messages", params={"to": number})
        return list(response.json()["messages"])

    def attempts_to(self, number: str) -> list[dict[str, Any]]:
        response = httpx.get(self.base_url + "/_sandbox/attempts", params={"to": number})
        return list(response.json()["attempts"])


def point_process_at(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make this process's duka calls use another stack (its database, emulator, sandboxes)."""
    from duka.config import get_settings

    # duka.publishing keeps one publisher per PUBSUB_EMULATOR_HOST, so the new host gets its own.
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def stack_home(env: dict[str, str]) -> Path:
    return Path(env["PRODUCT_IMAGE_DIR"]).parent


def log_lines(env: dict[str, str], function: str) -> list[str]:
    path = stack_home(env) / "logs" / f"{function}.log"
    return path.read_text(errors="replace").splitlines() if path.exists() else []


def admin(env: dict[str, str]) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(env["DATABASE_URL"], autocommit=True, row_factory=dict_row)


def wait_for(condition: Callable[[], T], timeout: float = 30.0, every: float = 0.2) -> T:
    """Poll until `condition()` is truthy; returns its last value (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def conversation_of(db: Any, shop: Boutique, phone: WhatsAppSimulator) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT * FROM conversations WHERE business_id = %s AND customer_phone = %s",
        (shop.id, phone.customer_number),
    ).fetchone()
    return None if row is None else dict(row)


def messages_of(db: Any, shop: Boutique, phone: WhatsAppSimulator) -> list[dict[str, Any]]:
    return db.execute(
        "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.business_id = %s AND c.customer_phone = %s ORDER BY m.created_at, m.id",
        (shop.id, phone.customer_number),
    ).fetchall()


def replies_to(db: Any, shop: Boutique, phone: WhatsAppSimulator) -> list[dict[str, Any]]:
    return [m for m in messages_of(db, shop, phone) if m["role"] == "agent"]


def table_counts(db: Any, tables: tuple[str, ...]) -> dict[str, int]:
    return {t: db.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"] for t in tables}


def publish_inbound_event(payload: dict[str, Any], copies: int = 1) -> None:
    """Deliver an inbound-messages event `copies` times, as Pub/Sub redelivery would."""
    from duka import publishing

    for _ in range(copies):
        publishing.publish(publishing.INBOUND_MESSAGES, payload)
