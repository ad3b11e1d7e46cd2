"""Back-in-stock in-process: a sold-out product or size is offered as "tell me when it's back";
a yes, "ndio" or a tap subscribes (one open alert per customer, product and size), a "no" closes
the offer, a forged tap changes nothing. After an alert went out, its "Buy now" button or a
typed yes puts the item in the cart and goes on to checkout. The job that sends the alerts is
covered by the stack tests (tests/test_stock_alerts.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop, create_shop

CATALOGUE = """sku,name,description,price,stock,category,colors,sizes,images
AM-1,Amani Wrap Dress,Wrap dress that ties at the waist,2800,0,dress,maroon,S;M;L,
LN-1,Black Linen Shift Dress,Breathable shift dress,3000,4,dress,black,S;M;L,
LN-2,White Linen Shift Dress,Breathable shift dress,3000,2,dress,white,S;M,
KM-1,Kimani Midi Skirt,A-line skirt with pockets,1500,5,skirt,green,S;M,
"""


@pytest.fixture(scope="module")
def _restock_shop(
    turn_database: DatabaseUrls,
    _turn_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Shop]:
    folder: Path = tmp_path_factory.mktemp("restock-shop")
    (folder / "catalogue.csv").write_text(CATALOGUE)
    shop = create_shop(turn_database, folder / "catalogue.csv", _turn_env)
    with psycopg.connect(turn_database.admin, autocommit=True) as conn:
        for size, stock in (("S", 0), ("M", 2), ("L", 2)):  # size S of the black dress: gone
            conn.execute(
                "INSERT INTO product_stock (business_id, product_id, size, stock)"
                " SELECT business_id, id, %s, %s FROM products"
                " WHERE business_id = %s AND sku = 'LN-1'",
                (size, stock, shop.id),
            )
    yield shop


@pytest.fixture()
def customer(_restock_shop: Shop, turn_env: None, turn_database: DatabaseUrls) -> Chat:
    return Chat(_restock_shop, turn_database)


def alerts(chat: Chat) -> list[dict[str, Any]]:
    with psycopg.connect(chat.db.admin, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT p.name, a.size, a.closed_at, a.sent_at FROM stock_alerts a"
            " JOIN products p ON p.id = a.product_id"
            " WHERE a.business_id = %s AND a.customer_phone = %s ORDER BY a.created_at",
            (chat.shop.id, chat.phone),
        ).fetchall()


def product_id(chat: Chat, sku: str) -> str:
    with psycopg.connect(chat.db.admin) as conn:
        row = conn.execute(
            "SELECT id FROM products WHERE business_id = %s AND sku = %s", (chat.shop.id, sku)
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_a_sold_out_dress_is_offered_as_an_alert_and_yes_subscribes(customer: Chat):
    sold = customer.say("do you have the Amani wrap dress?")

    assert "Sorry, Amani Wrap Dress is sold out right now." in sold
    assert "Shall I message you when Amani Wrap Dress is back? Reply yes" in sold
    notify = [o for o in customer.options() if o["title"] == "Tell me when back"]
    assert [o["id"] for o in notify] == [f"alert:{product_id(customer, 'AM-1')}:"]

    done = customer.say("yes")

    assert done == "Done! I'll message you as soon as Amani Wrap Dress is back in stock."
    assert [(a["name"], a["size"], a["closed_at"]) for a in alerts(customer)] == [
        ("Amani Wrap Dress", None, None)
    ]


def test_swahili_ndio_subscribes(customer: Chat):
    sold = customer.say("Mnauza Amani wrap dress?")

    assert "Pole, Amani Wrap Dress imeisha kwa sasa." in sold
    assert "Nikutumie ujumbe Amani Wrap Dress ikirudi? Jibu ndio" in sold

    done = customer.say("ndio")

    assert done == "Sawa! Nitakutumia ujumbe Amani Wrap Dress ikirudi dukani."
    assert len(alerts(customer)) == 1


def test_a_sold_out_size_is_offered_and_one_tap_subscribes_to_that_size(customer: Chat):
    customer.say("black linen shift dress")
    customer.tap(1)  # the list row: which size?

    reply = customer.say("size S")

    assert "Black Linen Shift Dress" in reply and "(size S)" in reply
    assert "Shall I message you when Black Linen Shift Dress (size S) is back?" in reply
    assert [o["title"] for o in customer.options()] == ["Tell me when back"]
    done = customer.tap(1)

    assert (
        done
        == "Done! I'll message you as soon as Black Linen Shift Dress (size S) is back in stock."
    )
    assert [(a["name"], a["size"]) for a in alerts(customer)] == [("Black Linen Shift Dress", "S")]
    assert customer.last is not None and customer.last.record["tapped"].startswith("alert:")


def test_no_closes_the_offer_and_a_later_yes_subscribes_nothing(customer: Chat):
    customer.say("do you have the Amani wrap dress?")

    declined = customer.say("no")

    assert declined == "Okay, I've left it. Tell me what else you'd like."
    assert customer.conversation()["metadata"].get("awaiting") is None
    customer.say("yes")
    assert alerts(customer) == []


def test_asking_twice_keeps_one_open_alert(customer: Chat):
    for _ in range(2):
        customer.say("do you have the Amani wrap dress?")
        customer.say("yes please")

    assert len(alerts(customer)) == 1


def test_a_forged_alert_tap_for_another_product_subscribes_nothing(customer: Chat):
    customer.say("do you have the Amani wrap dress?")

    reply = customer.press(f"alert:{product_id(customer, 'KM-1')}:", "Tell me when back")

    assert "no longer available" in reply
    assert alerts(customer) == []


def alerted(chat: Chat, sku: str, size: str | None) -> str:
    """Subscribe through the chat, then what the job leaves behind once it sent the alert:
    stock back, the alert sent and closed, and the chat holding the item for a typed yes."""
    pid = product_id(chat, sku)
    with psycopg.connect(chat.db.admin, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO stock_alerts (business_id, conversation_id, customer_phone, product_id,"
            " size, sent_at, closed_at) VALUES (%s, %s, %s, %s, %s, now(), now())",
            (chat.shop.id, chat.conversation()["id"], chat.phone, pid, size),
        )
        conn.execute("UPDATE products SET stock = 3 WHERE id = %s", (pid,))
        conn.execute(
            "UPDATE conversations SET metadata = metadata || %s WHERE id = %s",
            (
                Jsonb({"restock_ready": {"product_id": pid, "size": size}}),
                chat.conversation()["id"],
            ),
        )
    return pid


def test_buy_now_on_the_alert_adds_the_size_and_asks_where_to_deliver(customer: Chat):
    customer.say("hi")
    pid = alerted(customer, "AM-1", "M")
    try:
        reply = customer.press(f"restock:{pid}:M", "Buy now")

        assert reply.startswith("Added 1 x Amani Wrap Dress (size M) to your cart.")
        assert "deliver" in reply.lower()
        cart = customer.conversation()["metadata"]["cart"]
        assert [(i["name"], i["size"]) for i in cart["items"]] == [("Amani Wrap Dress", "M")]
        assert customer.conversation()["metadata"]["awaiting"] == "delivery_address"
    finally:
        with psycopg.connect(customer.db.admin, autocommit=True) as conn:
            conn.execute("UPDATE products SET stock = 0 WHERE id = %s", (pid,))


def test_a_typed_ndio_to_the_alert_buys_it_in_swahili(customer: Chat):
    customer.say("habari")
    pid = alerted(customer, "AM-1", "L")
    try:
        reply = customer.say("ndio")

        assert reply.startswith("Nimeongeza 1 x Amani Wrap Dress (size L) kwa cart yako.")
        assert "restock_ready" not in customer.conversation()["metadata"]
    finally:
        with psycopg.connect(customer.db.admin, autocommit=True) as conn:
            conn.execute("UPDATE products SET stock = 0 WHERE id = %s", (pid,))


def test_buy_now_for_an_item_never_alerted_is_stale(customer: Chat):
    customer.say("hi")

    reply = customer.press(f"restock:{product_id(customer, 'LN-2')}:M", "Buy now")

    assert "no longer available" in reply
    assert not (customer.conversation()["metadata"].get("cart") or {}).get("items")
