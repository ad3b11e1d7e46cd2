"""Delivery and pickup at checkout: the pickup points list (nearest her area first, paged), the
point's fee on the order, and a place no zone covers priced by the owner before she pays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from duka.db.pool import tenant_transaction
from duka.delivery import quotes
from duka.orders.pricing import CartLine, DeliveryDetails, price_order
from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop, create_shop
from tests.turns.conftest import DEMO_CSV

ZONES = {
    "zones": [
        {"name": "Nairobi", "areas": ["Westlands", "Kilimani", "Roysambu"], "fee_kes": 300},
        {"name": "Coast", "areas": ["Nyali", "Bamburi", "Mtwapa"], "fee_kes": 600, "days": "2-3"},
    ]
}
# Twelve points: two pages of the WhatsApp list (nine rows and "More", then the last three).
POINTS = [
    ("Sarit Centre agent", "Westlands", 100),
    ("Kilimani locker", "Kilimani", 120),
    ("Nyali agent", "Nyali", 200),
    *[(f"Roysambu point {n}", "Roysambu", 150) for n in range(1, 10)],
]


@pytest.fixture(scope="module")
def shop(turn_database: DatabaseUrls, _turn_env: dict[str, str], demo_rows: Any) -> Shop:
    """A boutique of its own: its zones and pickup points leave the demo's chats alone."""
    created = create_shop(turn_database, DEMO_CSV, _turn_env)
    with psycopg.connect(turn_database.admin, autocommit=True) as conn:
        conn.execute(
            "UPDATE businesses SET settings = %s WHERE id = %s",
            (Jsonb({"delivery": ZONES}), created.id),
        )
        for name, area, fee in POINTS:
            conn.execute(
                "INSERT INTO pickup_points (business_id, name, area, fee_kes)"
                " VALUES (%s, %s, %s, %s)",
                (created.id, name, area, fee),
            )
    return created


@pytest.fixture()
def buyer(shop: Shop, turn_env: None, turn_database: DatabaseUrls) -> Iterator[Chat]:
    yield Chat(shop, turn_database)


def _in_cart(chat: Chat, language: str = "en") -> str:
    if language == "en":
        chat.say("red bodycon dress")
        chat.say("I want #1 in size S")
        return chat.say("checkout")
    chat.say("nataka rinda nyekundu ya bodycon")
    chat.say("nataka #1 size S")
    return chat.say("nataka kulipa")


def _admin(db: DatabaseUrls) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(db.admin, autocommit=True, row_factory=dict_row)


def test_pickup_points_come_nearest_her_area_first_ten_rows_at_a_time(buyer: Chat):
    asked = _in_cart(buyer)
    assert "Or tap Pickup point" in asked
    assert [o["id"] for o in buyer.options()] == ["addr:points"]

    first = buyer.tap(1)  # "Pickup point": no area known yet, every point, most used first
    assert "Tell me your area" in first
    assert len(buyer.options()) == 10 and buyer.options()[-1]["title"] == "More pickup points"

    near = buyer.say("Westlands")  # her area: its point first, then the zone's other areas
    titles = [o["title"] for o in buyer.options()]
    assert "nearest Westlands first" in near
    assert titles[0] == "Sarit Centre agent"
    assert titles[1] in {"Kilimani locker", "Roysambu point 1"}
    assert "Nyali agent" not in titles  # another zone: on the next page

    nxt = buyer.tap(10)  # "More pickup points"
    assert [o["title"] for o in buyer.options()][-1] == "Nyali agent"
    assert "10. " in nxt and len(buyer.options()) == 3


def test_a_chosen_point_puts_its_fee_on_the_order_total(buyer: Chat, shop: Shop):
    _in_cart(buyer)
    buyer.tap(1)
    buyer.say("Westlands")
    buyer.tap(1)  # Sarit Centre agent, KES 100 (no gateway in this tier: the prompt fails)

    delivery = buyer.conversation()["metadata"]["delivery"]
    assert delivery["fee_kes"] == 100 and delivery["pickup_point_id"]
    cart = buyer.conversation()["metadata"]["cart"]["items"]
    with tenant_transaction(shop.id, url=buyer.db.app) as conn:
        business = conn.execute("SELECT settings FROM businesses").fetchone()
        assert business is not None
        priced = price_order(
            conn,
            business["settings"],
            [CartLine(i["product_id"], i["quantity"], i["size"]) for i in cart],
            # a fee remembered wrong is read again from the pickup point itself
            DeliveryDetails(
                delivery["address"], delivery["area"], 0, delivery["pickup_point_id"], None
            ),
        )
    items = sum(int(float(i["unit_price"])) * i["quantity"] for i in cart)
    assert priced.amount_kes == items + 100
    assert priced.delivery_info["pickup_point_id"] == delivery["pickup_point_id"]


def test_she_picks_a_point_by_typing_its_number_in_sheng(buyer: Chat):
    _in_cart(buyer)
    buyer.tap(1)
    buyer.say("niko roysambu")
    buyer.say("2")

    delivery = buyer.conversation()["metadata"]["delivery"]
    assert delivery["area"] == "Roysambu" and delivery["fee_kes"] == 150


def test_a_zone_area_the_vocabulary_does_not_know_is_priced_by_its_zone(buyer: Chat):
    _in_cart(buyer)
    buyer.say("Deliver to Mtwapa, Mtambo road house 4")

    assert buyer.conversation()["metadata"]["delivery"]["fee_kes"] == 600


@pytest.mark.parametrize(
    ("language", "address", "told", "total_words"),
    [
        ("en", "Deliver to Kisumu, Milimani estate house 12", "the shop will confirm", "total"),
        ("sw", "Nitumie Eldoret, Elgon View nyumba 3", "duka litathibitisha", "Jumla"),
    ],
)
def test_a_place_no_zone_covers_waits_for_the_owners_fee_then_gets_the_total(
    buyer: Chat, shop: Shop, language: str, address: str, told: str, total_words: str
):
    _in_cart(buyer, language)
    reply = buyer.say(address)

    assert told in reply
    assert buyer.orders() == 0
    metadata = buyer.conversation()["metadata"]
    assert metadata["attention_reason"] == "delivery_fee" and metadata["needs_attention"]
    assert buyer.last is not None and [m["to"] for m in buyer.last.extra_messages] == [shop.owner]

    waiting = buyer.say("pay" if language == "en" else "nataka kulipa")
    assert "M-Pesa" not in waiting and buyer.orders() == 0

    quote_id = metadata["delivery"]["quote_id"]
    with tenant_transaction(shop.id, url=buyer.db.app) as conn:
        assert quotes.set_fee(conn, shop.id, quote_id, 450) is not None
        assert quotes.set_fee(conn, shop.id, quote_id, 1) is None  # set once
    with _admin(buyer.db) as conn:
        sent = conn.execute(
            "SELECT content FROM messages WHERE conversation_id = %s"
            " AND metadata->>'notice' = 'delivery_fee_set'",
            (buyer.conversation()["id"],),
        ).fetchone()
    assert sent is not None and "KES 450" in sent["content"] and total_words in sent["content"]
    assert "attention_reason" not in buyer.conversation()["metadata"]

    buyer.press("pay", "Pay with M-Pesa")  # no gateway here: the fee is what the prompt carries
    assert buyer.conversation()["metadata"]["delivery"]["fee_kes"] == 450
