"""STOP / ACHA / "sitaki jumbe" opt a customer out of everything but replies, START / ANZA opt
them back in: recorded with time and source, confirmed once in their language, before any
classification and with no model call. Run as process_message answers a conversation."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from duka.config import get_settings
from duka.consent import keyword
from duka.db.pool import tenant_transaction
from duka.processing import answer_conversation
from duka.store import conversations, messages
from duka_local.stack.database import DatabaseUrls
from tests.conftest import random_kenyan_number
from tests.turns.chat import Shop

OPTED_OUT_EN = "won't send you order updates or offers any more"
OPTED_OUT_SW = "haitakutumia tena taarifa za oda wala matangazo"
OPTED_IN_EN = "You're subscribed"
OPTED_IN_SW = "Umejiunga"


@dataclass
class Customer:
    """A customer whose messages are answered by `processing.answer_conversation`, as the
    application role, the way process_message answers them (no Twilio: replies stay queued)."""

    shop: Shop
    db: DatabaseUrls
    phone: str = field(default_factory=random_kenyan_number)
    conversation_id: str = ""

    def say(self, *texts: str) -> list[str]:
        """A burst of messages; the texts of the replies queued for it, in order."""
        with tenant_transaction(self.shop.id, url=self.db.app) as conn:
            conversation = conversations.get_or_create_conversation(
                conn, self.shop.id, self.phone, None
            )
            self.conversation_id = str(conversation["id"])
            for text in texts:
                messages.insert_inbound(
                    conn,
                    business_id=self.shop.id,
                    conversation_id=self.conversation_id,
                    external_id="SM" + secrets.token_hex(16),
                    content=text,
                    attachments=[],
                    profile_name=None,
                )
        before = {str(m["id"]) for m in self.replies()}
        answer_conversation(self.shop.id, self.conversation_id)
        return [m["content"] for m in self.replies() if str(m["id"]) not in before]

    def _admin(self) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.db.admin, autocommit=True, row_factory=dict_row)

    def replies(self) -> list[dict[str, Any]]:
        """What the customer is sent (not the owner's alerts), oldest first."""
        with self._admin() as conn:
            return conn.execute(
                "SELECT * FROM messages WHERE conversation_id = %s AND role <> 'customer'"
                " AND NOT metadata ? 'to' ORDER BY created_at, content",
                (self.conversation_id,),
            ).fetchall()

    def unanswered(self) -> int:
        with self._admin() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM messages WHERE conversation_id = %s"
                " AND role = 'customer' AND answered_by IS NULL",
                (self.conversation_id,),
            ).fetchone()
        assert row is not None
        return int(row["n"])

    def consent(self) -> list[tuple[str, str]]:
        """The recorded consent events, oldest first: (kind, source)."""
        with self._admin() as conn:
            rows = conn.execute(
                "SELECT kind, source, created_at FROM consent_events"
                " WHERE business_id = %s AND customer_phone = %s ORDER BY created_at, id",
                (self.shop.id, self.phone),
            ).fetchall()
        assert all(row["created_at"] is not None for row in rows)
        return [(row["kind"], row["source"]) for row in rows]

    def set_status(self, status: str) -> None:
        with self._admin() as conn:
            conn.execute(
                "UPDATE conversations SET status = %s WHERE id = %s", (status, self.conversation_id)
            )


@pytest.fixture()
def as_process_message(
    turn_database: DatabaseUrls, turn_env: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """process_message's own connections go in as the application role, bound by RLS."""
    monkeypatch.setenv("DATABASE_URL", turn_database.app)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture()
def customer(demo: Shop, turn_database: DatabaseUrls, as_process_message: None) -> Customer:
    return Customer(demo, turn_database)


@pytest.mark.parametrize(
    ("text", "kind", "language"),
    [
        ("STOP", "opt_out", None),
        ("stop", "opt_out", None),
        ("Stop please", "opt_out", None),
        ("Stop!!", "opt_out", None),
        ("unsubscribe me", "opt_out", None),
        ("UNSUBSCRIBE", "opt_out", None),
        ("ACHA", "opt_out", "sw"),
        ("acha kunitumia", "opt_out", "sw"),
        ("Tafadhali acha kunitumia jumbe", "opt_out", "sw"),
        ("sitaki jumbe", "opt_out", "sw"),
        ("START", "opt_in", None),
        ("subscribe", "opt_in", None),
        ("Anza", "opt_in", "sw"),
    ],
)
def test_whole_message_keywords_and_clear_phrases_are_recognised(text, kind, language):
    found = keyword(text)

    assert found is not None and (found.kind, found.language) == (kind, language)


@pytest.mark.parametrize(
    "text",
    [
        "stop sending me the wrong size",
        "Please stop, the dress you sent is torn",
        "start over",
        "anza upya",
        "sitaki tena ile dress ya maroon",
        "acha hiyo nyekundu",
        "when do you start delivering to Kisumu?",
        "",
    ],
)
def test_a_sentence_that_only_contains_a_keyword_is_not_one(text):
    assert keyword(text) is None


def test_stop_is_confirmed_once_in_english_and_replies_still_go(customer):
    assert len(customer.say("hi")) == 1

    [confirmation] = customer.say("Stop please")
    again = customer.say("STOP")
    answer = customer.say("do you have red dresses?")

    assert OPTED_OUT_EN in confirmation and "Reply START" in confirmation
    assert again == [] and customer.unanswered() == 0  # answered by the first confirmation
    assert len(answer) == 1 and OPTED_OUT_EN not in answer[0]  # a direct reply still goes
    assert customer.consent() == [("opt_out", "chat_keyword")]


def test_start_opts_back_in_once_and_is_recorded_with_its_source(customer):
    customer.say("STOP")

    [confirmation] = customer.say("start")
    again = customer.say("START")

    assert OPTED_IN_EN in confirmation and "Reply STOP" in confirmation
    assert again == [] and customer.unanswered() == 0
    assert customer.consent() == [("opt_out", "chat_keyword"), ("opt_in", "chat_keyword")]
    confirmations = [m for m in customer.replies() if m["metadata"].get("intent")]
    assert [m["metadata"]["intent"] for m in confirmations] == ["opted_out", "opted_in"]
    assert not any(m["metadata"].get("proactive") for m in confirmations)  # replies, not notices


def test_a_swahili_customer_is_confirmed_in_swahili_once(customer):
    customer.say("Habari, natafuta gauni nyekundu")

    [confirmation] = customer.say("sitaki jumbe")
    repeated = customer.say("ACHA") + customer.say("acha kunitumia")
    [back] = customer.say("anza")

    assert OPTED_OUT_SW in confirmation and "Jibu ANZA" in confirmation
    assert repeated == []
    assert OPTED_IN_SW in back and "Jibu ACHA" in back
    assert customer.consent() == [("opt_out", "chat_keyword"), ("opt_in", "chat_keyword")]


def test_stop_in_a_swahili_conversation_is_confirmed_in_swahili(customer):
    customer.say("Niaje, mna viatu?")

    [confirmation] = customer.say("STOP")

    assert OPTED_OUT_SW in confirmation


def test_a_keyword_in_a_burst_is_confirmed_and_the_rest_is_answered_by_the_turn(customer):
    replies = customer.say("natafuta gauni nyekundu", "acha kunitumia")

    assert len(replies) == 2
    assert sum(OPTED_OUT_SW in reply for reply in replies) == 1
    assert customer.unanswered() == 0
    assert customer.consent() == [("opt_out", "chat_keyword")]


def test_a_complaint_that_says_stop_is_answered_and_opts_nobody_out(customer):
    [reply] = customer.say("stop sending me the wrong size")

    assert OPTED_OUT_EN not in reply
    assert customer.consent() == []


def test_stop_is_honoured_while_the_owner_has_taken_the_chat_over(customer):
    customer.say("hi")
    customer.set_status("handed_over")

    [confirmation] = customer.say("STOP")
    silent = customer.say("are you there?")

    assert OPTED_OUT_EN in confirmation
    assert silent == [] and customer.unanswered() == 1  # the owner answers that one
    assert customer.consent() == [("opt_out", "chat_keyword")]
