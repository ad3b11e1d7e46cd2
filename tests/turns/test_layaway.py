"""Lipa pole pole in chat, in-process: asking to pay in instalments (English and Swahili), the
terms with amounts from the database, the deposit's limits, the balance and paying more. This
tier has no gateway, so a prompt ends in "M-Pesa isn't responding" and a running plan is
written with SQL; the stack journeys (tests/test_journeys_layaway.py) pay real prompts."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from psycopg.types.json import Jsonb

from duka.orders.delivery import delivery_fee
from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop, owner_settings
from tests.turns.test_taps import picked_dress

LAYAWAY = {
    "layaway": {
        "enabled": True,
        "min_deposit_percent": 30,
        "term_days": 30,
        "reminder_every_days": 7,
        "deposit_policy": "store_credit",
    }
}
DUE = datetime.now(UTC) + timedelta(days=20)


@pytest.fixture()
def layaway_shop(demo: Shop, turn_database: DatabaseUrls) -> Iterator[Shop]:
    with owner_settings(turn_database, demo, LAYAWAY):
        yield demo


def dress_in_cart(chat: Chat) -> None:
    picked_dress(chat)
    chat.tap(1)  # size S


def running_plan(chat: Chat, paid: int = 1000, total: int = 2800) -> str:
    """A plan with `paid` of `total` received, due in 20 days, known to the chat."""
    chat.say("hi")
    conversation = chat.conversation()
    with psycopg.connect(chat.db.admin, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO orders (business_id, conversation_id, customer_phone, amount, status,"
            " pay_phone, delivery_info, layaway_deposit, layaway_due_at, layaway_reminder_days)"
            " VALUES (%s, %s, %s, %s, 'layaway', %s, '{}', %s, %s, 7) RETURNING id",
            (chat.shop.id, conversation["id"], chat.phone, total, chat.phone, paid, DUE),
        ).fetchone()
        assert row is not None
        order_id = str(row[0])
        conn.execute(
            "INSERT INTO payments (business_id, order_id, gateway, receipt, amount, matched_by)"
            " VALUES (%s, %s, 'manual', %s, %s, 'owner')",
            (chat.shop.id, order_id, "QD" + order_id[:8].upper(), paid),
        )
        metadata = {**conversation["metadata"], "layaway_order": order_id}
        conn.execute(
            "UPDATE conversations SET metadata = %s WHERE id = %s",
            (Jsonb(metadata), conversation["id"]),
        )
    return order_id


def attempts(chat: Chat, order_id: str) -> int:
    with psycopg.connect(chat.db.admin) as conn:
        row = conn.execute(
            "SELECT count(*) FROM payment_attempts WHERE order_id = %s", (order_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_asking_with_an_empty_cart_explains_the_terms(layaway_shop: Shop, chat: Chat):
    reply = chat.say("can I pay in instalments?")

    assert "deposit of at least 30%" in reply and "within 30 days" in reply


def test_the_terms_name_the_deposit_from_the_cart_and_delivery(layaway_shop: Shop, chat: Chat):
    dress_in_cart(chat)
    asked = chat.say("can I pay in installments?")
    reply = chat.say("Kilimani, Argwings Kodhek Rd")

    total = int(chat.db_price("Blue Floral Midi Dress")) + delivery_fee(LAYAWAY, "Kilimani")
    least = math.ceil(total * 0.3)
    assert "Where should we deliver" in asked
    assert f"Lipa pole pole: order total KES {total:,}." in reply
    assert f"Deposit at least 30% (KES {least:,}), then pay the rest within 30 days" in reply
    assert "M-Pesa isn't responding" in reply  # the deposit's prompt, refused in this tier


def test_a_swahili_deposit_below_the_minimum_is_refused_with_the_minimum(
    layaway_shop: Shop, chat: Chat
):
    dress_in_cart(chat)
    chat.say("nataka kulipa pole pole, deposit 100")
    reply = chat.say("niko Kilimani, Argwings Kodhek Rd")

    total = int(chat.db_price("Blue Floral Midi Dress")) + delivery_fee(LAYAWAY, "Kilimani")
    assert f"Deposit lazima iwe angalau KES {math.ceil(total * 0.3):,}" in reply
    assert chat.orders() == 0


def test_a_shop_without_layaway_says_so(chat: Chat):
    dress_in_cart(chat)

    reply = chat.say("lipa pole pole")

    assert "doesn't offer lipa pole pole" in reply or "halina lipa pole pole" in reply
    assert chat.orders() == 0


def test_the_balance_and_due_date_in_english_and_swahili(layaway_shop: Shop, chat: Chat):
    running_plan(chat)

    english = chat.say("how much is left?")
    swahili = chat.say("nimebaki na ngapi?")

    due = DUE.astimezone(timezone(timedelta(hours=3))).strftime("%d/%m/%Y")
    assert f"paid KES 1,000 of KES 2,800. Balance KES 1,800, due by {due}" in english
    assert f"umelipa KES 1,000 kati ya KES 2,800. Salio ni KES 1,800, kufikia {due}" in swahili


def test_paying_more_than_the_balance_is_refused_and_a_named_amount_is_prompted(
    layaway_shop: Shop, chat: Chat
):
    order_id = running_plan(chat)

    too_much = chat.say("I want to pay 5000")
    named = chat.say("nilipe 1500 more")

    assert "Your balance is KES 1,800, so you can pay up to KES 1,800." in too_much
    assert "M-Pesa isn't responding" in named or "M-Pesa haijibu" in named
    assert attempts(chat, order_id) == 0  # no gateway here: nothing was opened


def test_balance_words_without_a_plan_are_left_to_the_usual_reading(chat: Chat):
    reply = chat.say("sina balance ya kutosha kwa M-Pesa")

    assert "lipa pole pole" not in reply.lower()


@pytest.mark.parametrize("hint", ["pay 1000", "pay balance", "nilipe 1000", "lipa salio"])
def test_the_phrasings_the_replies_suggest_pay_into_the_plan(
    layaway_shop: Shop, chat: Chat, hint: str
):
    running_plan(chat)

    chat.say(hint)

    assert chat.last is not None and chat.last.record["intent"] == "layaway_pay"


def test_saying_lipa_pole_pole_as_suggested_starts_a_plan(layaway_shop: Shop, chat: Chat):
    dress_in_cart(chat)

    reply = chat.say("lipa pole pole")

    assert chat.last is not None and chat.last.record["intent"] == "layaway_start"
    assert "Where should we deliver" in reply or "Tukuletee wapi" in reply


def test_a_request_of_its_own_instead_of_the_address_drops_the_wait(layaway_shop: Shop, chat: Chat):
    dress_in_cart(chat)
    chat.say("can I pay in installments?")

    reply = chat.say("show me denim jackets")

    assert chat.last is not None and chat.last.record["intent"] == "product_search"
    assert "Denim Jacket" in reply
    assert "awaiting" not in chat.conversation()["metadata"]
