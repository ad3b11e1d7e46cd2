"""Pay on delivery in chat: in a zone the owner allows it, the order is placed with no M-Pesa
prompt (stock held, no expiry, the total from the database) and the owner is alerted; elsewhere
she is told plainly and the M-Pesa checkout goes on. Every checkout the chat starts is recorded
here: a prompt would be sent only through it (this tier has no gateway, so it fails after)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from duka.orchestrator.pod_words import says_pay_on_delivery
from duka.orders import checkout
from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop, owner_settings

NAIROBI = {"name": "Nairobi", "areas": ["Westlands", "Kilimani"], "fee_kes": 300}
COAST = {"name": "Coast", "areas": ["Nyali", "Bamburi"], "fee_kes": 600, "days": "2-3"}
BY_ZONE = {
    "delivery": {
        "zones": [
            {**NAIROBI, "days": "same day", "pay_on_delivery": True},
            {**COAST, "pay_on_delivery": False},
        ]
    }
}


@pytest.fixture()
def pod_shop(demo: Shop, turn_database: DatabaseUrls) -> Iterator[Shop]:
    with owner_settings(turn_database, demo, BY_ZONE):
        yield demo


@pytest.fixture()
def prompts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every M-Pesa checkout the chat starts (the only way a prompt is sent)."""
    started: list[dict[str, Any]] = []
    real = checkout.start_checkout

    def recording(**kwargs: Any) -> checkout.CheckoutResult:
        started.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr("duka.orchestrator.tools.payments._start_checkout", recording)
    return started


def _admin(chat: Chat) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(chat.db.admin, autocommit=True, row_factory=dict_row)


def _cart(chat: Chat, language: str = "en") -> int:
    """A red bodycon dress in the cart; what its items cost."""
    if language == "en":
        chat.say("red bodycon dress")
        chat.say("I want #1 in size S")
    else:
        chat.say("nataka rinda nyekundu ya bodycon")
        chat.say("nataka #1 size S")
    items = chat.conversation()["metadata"]["cart"]["items"]
    assert items, "nothing in the cart"
    return sum(int(Decimal(str(i["unit_price"]))) * int(i["quantity"]) for i in items)


def _order(chat: Chat) -> dict[str, Any]:
    with _admin(chat) as conn:
        order = conn.execute(
            "SELECT * FROM orders WHERE business_id = %s AND customer_phone = %s"
            " ORDER BY created_at DESC LIMIT 1",
            (chat.shop.id, chat.phone),
        ).fetchone()
    assert order is not None, "no order was made"
    return order


def _held(chat: Chat, order_id: Any) -> int:
    with _admin(chat) as conn:
        row = conn.execute(
            "SELECT COALESCE(sum(quantity), 0) AS n FROM stock_reservations"
            " WHERE order_id = %s AND state = 'reserved'",
            (order_id,),
        ).fetchone()
    assert row is not None
    return int(row["n"])


def _attempts(chat: Chat, order_id: Any) -> list[dict[str, Any]]:
    with _admin(chat) as conn:
        return conn.execute(
            "SELECT gateway, checkout_request_id FROM payment_attempts WHERE order_id = %s",
            (order_id,),
        ).fetchall()


def test_in_an_allowed_zone_the_order_is_placed_with_no_prompt_and_the_right_total(
    pod_shop: Shop, turn_database: DatabaseUrls, prompts: list[dict[str, Any]]
):
    chat = Chat(pod_shop, turn_database)
    items = _cart(chat)

    reply = chat.say("I want to pay on delivery, deliver to Kilimani, Argwings Kodhek Rd")

    order = _order(chat)
    assert prompts == []  # no M-Pesa prompt was started
    assert _attempts(chat, order["id"]) == [{"gateway": "manual", "checkout_request_id": None}]
    assert order["status"] == "pending" and order["pay_on_delivery"]
    assert order["expires_at"] is None  # it waits for the rider, however long that takes
    assert _held(chat, order["id"]) == 1
    assert int(order["amount"]) == items + 300
    assert f"Total KES {items + 300:,}" in reply and "incl. delivery KES 300" in reply
    assert "pay KES" in reply and "when it arrives" in reply and "no M-Pesa prompt" in reply
    assert "Expected delivery: same day." in reply
    assert chat.last is not None
    alerts = [m["text"] for m in chat.last.extra_messages if m["to"] == pod_shop.owner]
    assert len(alerts) == 1 and f"KES {items + 300:,}" in alerts[0]

    later = chat.say("checkout")  # asking to pay again sends nothing either
    assert "pay KES" in later and "when it arrives" in later and prompts == []
    status = chat.say("did my payment go through?")
    assert "to pay on delivery" in status and prompts == []
    with _admin(chat) as conn:  # the reconciler never expires it
        due = conn.execute(
            "SELECT order_id FROM payment_orders_due(interval '0 seconds', 1000)"
        ).fetchall()
    assert order["id"] not in {row["order_id"] for row in due}
    assert _order(chat)["status"] == "pending"


def test_chosen_before_the_address_it_is_applied_when_the_address_comes_in_swahili(
    pod_shop: Shop, turn_database: DatabaseUrls, prompts: list[dict[str, Any]]
):
    chat = Chat(pod_shop, turn_database)
    items = _cart(chat, "sw")

    asked = chat.say("nitalipa nikipokea")
    assert "Tukuletee wapi" in asked and chat.orders() == 0

    placed = chat.say("Westlands, Waiyaki Way jengo la Sarit")

    order = _order(chat)
    assert prompts == [] and order["pay_on_delivery"] and order["status"] == "pending"
    assert int(order["amount"]) == items + 300
    assert f"Jumla KES {items + 300:,}" in placed and "mzigo ukifika" in placed


def test_a_zone_that_does_not_allow_it_is_refused_and_the_prompt_goes_on(
    pod_shop: Shop, turn_database: DatabaseUrls, prompts: list[dict[str, Any]]
):
    chat = Chat(pod_shop, turn_database)
    _cart(chat)

    chat.say("cash on delivery please")
    reply = chat.say("Nyali, Links Road house 5")

    assert "Sorry, pay on delivery isn't available for Nyali" in reply
    assert len(prompts) == 1  # the usual M-Pesa checkout, for the Coast fee
    assert prompts[0]["delivery"].fee_kes == 600
    with _admin(chat) as conn:
        on_delivery = conn.execute(
            "SELECT count(*) AS n FROM orders WHERE customer_phone = %s AND pay_on_delivery",
            (chat.phone,),
        ).fetchone()
    assert on_delivery is not None and on_delivery["n"] == 0


def test_asked_with_a_coast_address_known_she_is_offered_the_prompt_instead(
    pod_shop: Shop, turn_database: DatabaseUrls, prompts: list[dict[str, Any]]
):
    chat = Chat(pod_shop, turn_database)
    items = _cart(chat)
    chat.say("checkout")
    chat.say("Bamburi, Mombasa-Malindi road")  # this tier's prompt fails; the address stays
    assert len(prompts) == 1

    reply = chat.say("nitalipa mzigo ikifika")

    assert "Pole, kulipa ukipokea hakupatikani kwa Bamburi" in reply
    assert f"KES {items + 600:,}" in reply and len(prompts) == 1
    assert [o["id"] for o in chat.options()][0] == "pay"
    chat.press("pay", "Pay with M-Pesa")
    assert len(prompts) == 2  # the prompt is still hers to ask for


@pytest.mark.parametrize(
    ("zones", "answer"),
    [
        (BY_ZONE, "You can pay on delivery in Nairobi; elsewhere you pay with M-Pesa"),
        (
            {"delivery": {"zones": [{**NAIROBI, "pay_on_delivery": True}]}},
            "Yes, you can pay on delivery wherever we deliver.",
        ),
        (
            {"delivery": {"zones": [{**NAIROBI, "pay_on_delivery": False}]}},
            "We don't do pay on delivery",
        ),
        ({"shop": {"pay_on_delivery": True}}, "Yes, you can pay on delivery."),  # as before
    ],
)
def test_do_you_do_pay_on_delivery_is_answered_from_the_zones(
    demo: Shop, turn_database: DatabaseUrls, zones: dict[str, Any], answer: str
):
    chat = Chat(demo, turn_database)
    with owner_settings(turn_database, demo, zones):
        reply = chat.say("Do you do pay on delivery?")

    assert answer in reply
    assert chat.orders() == 0


# Phrasings the matcher was written for (held-out ones: tests/data/pod_blind.jsonl).
SAYS_IT = [
    "I want to pay on delivery",
    "cash on delivery",
    "COD please",
    "nitalipa nikipokea",
    "lipa ukifika",
    "nitalipa mzigo ikifika",
    "pay when it arrives",
    "Nitalipa cash kwa rider",
    "tutalipia ikifika",
    "pay on delivary",
    "I'd rather pay when you deliver",
]
NOT_IT = [
    "when will it arrive",
    "how much is delivery to westlands",
    "I have paid, when will it arrive",
    "nililipa jana mzigo ukifika lini?",
    "can i pay with till",
    "do you deliver to Kisumu",
    "I'll pay now",
    "nikifika town nitalipa",  # she arrives, not the parcel
]


@pytest.mark.parametrize("text", SAYS_IT)
def test_ways_of_saying_pay_on_delivery_are_recognised(text: str):
    assert says_pay_on_delivery(text)


@pytest.mark.parametrize("text", NOT_IT)
def test_other_talk_about_paying_or_delivery_is_not(text: str):
    assert not says_pay_on_delivery(text)


# pod_blind.jsonl was written before the matcher by its author; pod_blind_2.jsonl by someone
# who never saw it, measured (30/40), then tuned on; pod_blind_3.jsonl likewise, measured and
# frozen: the held-out figure (README: Delivery and pickup).
BLIND_SETS = {
    "pod_blind.jsonl": 0.85,
    "pod_blind_2.jsonl": 0.95,  # tuned on after it was measured
    "pod_blind_3.jsonl": 0.85,  # frozen: never tuned on
}


@pytest.mark.parametrize(("name", "floor"), BLIND_SETS.items())
def test_blind_phrasings_are_mostly_read_right_and_none_places_an_order_by_mistake(
    name: str, floor: float
):
    """A missed phrasing gets the M-Pesa checkout; a false one would send a rider unpaid."""
    lines = (Path(__file__).parents[1] / "data" / name).read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    right = [r for r in rows if says_pay_on_delivery(r["text"]) == r["pay_on_delivery"]]
    false = [
        r["text"] for r in rows if says_pay_on_delivery(r["text"]) and not r["pay_on_delivery"]
    ]
    assert len(right) / len(rows) >= floor, [r["text"] for r in rows if r not in right]
    assert false == []
