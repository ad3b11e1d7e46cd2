"""A customer talking to the orchestrator in-process: each `say` is one turn, run as
process_message runs it (application role, tenant transaction, conversation row lock)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from duka.catalog.importer import import_catalogue
from duka.catalog.indexing import index_product
from duka.config import get_settings
from duka.db.pool import tenant_transaction, transaction
from duka.llm import ReplyModel
from duka.orchestrator.run import TurnResult, run_turn
from duka.store import businesses, conversations, messages
from duka_local.cli import DEMO_NAME
from duka_local.stack.database import DatabaseUrls
from tests.conftest import random_kenyan_number


@dataclass(frozen=True)
class Shop:
    id: str
    number: str
    owner: str


def create_shop(db: DatabaseUrls, csv_path: Path, env: dict[str, str]) -> Shop:
    """A boutique with the catalogue imported and indexed in this process (no Pub/Sub), under
    the turn tier's environment `env` (settings are re-read inside and after)."""
    number, owner = random_kenyan_number(), random_kenyan_number()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        # The outbox relay publishes to Pub/Sub; here the products are indexed directly.
        patch.setattr("duka.catalog.importer.relay_outbox", lambda: 0)
        get_settings.cache_clear()
        with transaction(db.admin) as conn:
            business_id = businesses.create_business(
                conn, name=DEMO_NAME, whatsapp_number=number, phone=owner
            )
        ids = import_catalogue(csv_path, number)
        for product_id in ids:
            index_product(business_id, product_id)
    get_settings.cache_clear()
    return Shop(business_id, number, owner)


@contextmanager
def owner_settings(db: DatabaseUrls, shop: Shop, settings: dict[str, Any]) -> Iterator[None]:
    """The boutique with the owner's dashboard settings, restored afterwards."""
    with psycopg.connect(db.admin, autocommit=True) as conn:
        conn.execute(
            "UPDATE businesses SET settings = %s WHERE id = %s", (Jsonb(settings), shop.id)
        )
        try:
            yield
        finally:
            conn.execute("UPDATE businesses SET settings = '{}' WHERE id = %s", (shop.id,))


class FrozenClock:
    """A clock the test moves by hand (a stale question without sleeping)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Chat:
    shop: Shop
    db: DatabaseUrls
    model: ReplyModel | None = None
    clock: Callable[[], datetime] = field(default_factory=FrozenClock)
    phone: str = field(default_factory=random_kenyan_number)
    last: TurnResult | None = None

    def say(
        self,
        *texts: str,
        attachments: Sequence[dict[str, Any]] = (),
        tap: dict[str, str] | None = None,
    ) -> str:
        """Send one message (several: a burst answered by one turn); the reply's text. `tap`
        makes the last message a tapped button or list row, as whatsapp_inbound stores it."""
        with tenant_transaction(self.shop.id, url=self.db.app) as conn:
            conversation = conversations.get_or_create_conversation(
                conn, self.shop.id, self.phone, None
            )
            conversation_id = str(conversation["id"])
            for index, text in enumerate(texts):
                messages.insert_inbound(
                    conn,
                    business_id=self.shop.id,
                    conversation_id=conversation_id,
                    external_id="SM" + secrets.token_hex(16),
                    content=text,
                    attachments=list(attachments) if index == len(texts) - 1 else [],
                    profile_name=None,
                    tap=tap if index == len(texts) - 1 else None,
                )
            conversation = conversations.lock_conversation(conn, conversation_id)
            inbound = messages.unanswered_inbound(conn, conversation_id)
            conversation = conversations.note_customer_activity(conn, conversation_id, inbound[-1])
            business = businesses.get_business(conn, self.shop.id)
            assert business is not None
            result = run_turn(
                conn, business, conversation, inbound, model=self.model, clock=self.clock
            )
            messages.insert_outbound_intent(
                conn,
                business_id=self.shop.id,
                conversation_id=conversation_id,
                content=result.text,
                answers=[str(m["id"]) for m in inbound],
                metadata=result.record,
            )
        self.last = result
        return result.text

    def options(self) -> list[dict[str, Any]]:
        """The last reply's buttons or list rows ({"id", "title", "description"})."""
        assert self.last is not None and self.last.interactive is not None, "no interactive reply"
        return list(self.last.interactive.to_metadata(self.last.text)["items"])

    def tap(self, number: int) -> str:
        """Tap the last reply's `number`th option (1-based): its title is the message's text."""
        option = self.options()[number - 1]
        return self.press(option["id"], option["title"])

    def press(self, payload: str, title: str) -> str:
        """A tap with any payload: an old message's, or one we never sent."""
        return self.say(title, tap={"payload": payload, "title": title})

    def _admin(self) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.db.admin, autocommit=True, row_factory=dict_row)

    def conversation(self) -> dict[str, Any]:
        with self._admin() as conn:
            row = conn.execute(
                "SELECT * FROM conversations WHERE business_id = %s AND customer_phone = %s",
                (self.shop.id, self.phone),
            ).fetchone()
        assert row is not None
        return row

    def orders(self) -> int:
        with self._admin() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM orders WHERE customer_phone = %s", (self.phone,)
            ).fetchone()
        assert row is not None
        return int(row["n"])

    def db_price(self, name: str) -> Any:
        with self._admin() as conn:
            row = conn.execute(
                "SELECT price FROM products WHERE business_id = %s AND name = %s",
                (self.shop.id, name),
            ).fetchone()
        assert row is not None
        return row["price"]
