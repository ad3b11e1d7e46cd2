"""Remember the customer, in-process: her usual size per garment type (learned from paid orders
and the sizes she chose in chat) is offered first when the agent asks "which size?", only when
the product has it in stock; and "same as last time" (the greeting's button, or typed in
English, Swahili or Sheng) puts her last paid order back in the cart at today's prices, saying
what is sold out, then shows the cart with the pay button."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop, create_shop

CATALOGUE = """sku,name,description,price,stock,category,colors,sizes,images
MM-D1,Amani Wrap Dress,Wrap dress that ties at the waist,2800,6,dress,maroon,S;M;L,
MM-D2,Green Satin Slip Dress,Bias-cut satin slip dress,2600,5,dress,green,S;M;L,
MM-D3,Zuri Linen Shift Dress,Breathable linen shift dress,3000,4,dress,white,S;M;L,
MM-K1,Kitenge Kimono Jacket,Open kimono in kitenge print,2100,0,kimono,orange,S;M,
MM-S1,Kimani Midi Skirt,A-line skirt with pockets,1500,5,skirt,green,S;M;L,
"""


@pytest.fixture(scope="module")
def _memory_shop(
    turn_database: DatabaseUrls,
    _turn_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Shop]:
    folder: Path = tmp_path_factory.mktemp("memory-shop")
    (folder / "catalogue.csv").write_text(CATALOGUE)
    shop = create_shop(turn_database, folder / "catalogue.csv", _turn_env)
    with psycopg.connect(turn_database.admin, autocommit=True) as conn:
        for size, stock in (("S", 2), ("M", 0), ("L", 2)):  # the Zuri dress: M sold out
            conn.execute(
                "INSERT INTO product_stock (business_id, product_id, size, stock)"
                " SELECT business_id, id, %s, %s FROM products"
                " WHERE business_id = %s AND sku = 'MM-D3'",
                (size, stock, shop.id),
            )
    yield shop


@pytest.fixture()
def customer(_memory_shop: Shop, turn_env: None, turn_database: DatabaseUrls) -> Chat:
    return Chat(_memory_shop, turn_database)


def product(chat: Chat, sku: str) -> dict[str, object]:
    with psycopg.connect(chat.db.admin, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT * FROM products WHERE business_id = %s AND sku = %s", (chat.shop.id, sku)
        ).fetchone()
    assert row is not None
    return row


def paid_order(chat: Chat, *lines: tuple[str, str | None, int, int], days_ago: int = 10) -> None:
    """A paid order of hers, `days_ago`: (sku, size, quantity, unit price paid) per line."""
    total = sum(quantity * price for _, _, quantity, price in lines)
    with psycopg.connect(chat.db.admin, autocommit=True, row_factory=dict_row) as conn:
        order = conn.execute(
            "INSERT INTO orders (business_id, customer_phone, amount, status, paid_at, created_at)"
            " VALUES (%s, %s, %s, 'paid', now() - make_interval(days => %s),"
            " now() - make_interval(days => %s)) RETURNING id",
            (chat.shop.id, chat.phone, total, days_ago, days_ago),
        ).fetchone()
        assert order is not None
        for sku, size, quantity, price in lines:
            item = product(chat, sku)
            conn.execute(
                "INSERT INTO order_items (business_id, order_id, product_id, sku, name, size,"
                " quantity, unit_price, line_total) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    chat.shop.id,
                    order["id"],
                    item["id"],
                    sku,
                    item["name"],
                    size,
                    quantity,
                    price,
                    quantity * price,
                ),
            )


def pick(chat: Chat, search: str, name: str) -> str:
    """Search, then tap `name` in the list: the agent asks which size. Returns the reply."""
    chat.say(search)
    row = next(o for o in chat.options() if o["title"] == name)
    return chat.press(row["id"], row["title"])


def cart(chat: Chat) -> list[tuple[str, str | None, int, Decimal]]:
    items = (chat.conversation()["metadata"].get("cart") or {}).get("items") or []
    return [(i["name"], i["size"], i["quantity"], Decimal(str(i["unit_price"]))) for i in items]


# --- her usual size -----------------------------------------------------------------------------


def test_her_usual_dress_size_is_offered_first_and_yes_takes_it(customer: Chat):
    paid_order(customer, ("MM-D2", "M", 1, 2600))
    amani = str(product(customer, "MM-D1")["id"])

    asked = pick(customer, "show me the amani wrap dress", "Amani Wrap Dress")

    assert "Which size would you like for Amani Wrap Dress?" in asked
    assert "In your usual M? Reply yes, or pick another size." in asked
    rows = customer.options()
    assert [r["id"] for r in rows] == [f"size:{amani}:{s}" for s in "MSL"]
    assert rows[0]["description"] == "your usual size" and rows[1]["description"] is None
    added = customer.say("yes")

    assert "Added 1 x Amani Wrap Dress (size M) to your cart." in added
    assert cart(customer) == [("Amani Wrap Dress", "M", 1, Decimal("2800"))]


def test_her_usual_size_is_offered_in_swahili(customer: Chat):
    paid_order(customer, ("MM-D2", "L", 1, 2600))

    asked = pick(customer, "nataka amani wrap dress", "Amani Wrap Dress")

    assert "Kwa size yako ya kawaida, L? Jibu ndio, au chagua size nyingine." in asked
    assert customer.options()[0]["title"] == "L"
    assert customer.options()[0]["description"] == "size yako ya kawaida"
    assert "Nimeongeza 1 x Amani Wrap Dress (size L)" in customer.say("ndio")


def test_a_usual_size_that_is_sold_out_is_not_offered(customer: Chat):
    paid_order(customer, ("MM-D2", "M", 1, 2600))

    asked = pick(customer, "show me the zuri linen shift dress", "Zuri Linen Shift Dress")

    assert "usual" not in asked
    assert [r["title"] for r in customer.options()] == ["S", "L"]
    assert all(r["description"] is None for r in customer.options())


def test_a_size_of_another_garment_type_is_not_her_usual_dress_size(customer: Chat):
    paid_order(customer, ("MM-S1", "L", 1, 1500))  # a skirt in L says nothing about dresses

    asked = pick(customer, "show me the amani wrap dress", "Amani Wrap Dress")

    assert "usual" not in asked
    assert [r["title"] for r in customer.options()] == ["S", "M", "L"]


def test_a_size_she_chose_in_chat_is_learned(customer: Chat):
    pick(customer, "show me the green satin slip dress", "Green Satin Slip Dress")
    customer.say("size L please")
    customer.say("clear my cart")

    asked = pick(customer, "show me dresses", "Amani Wrap Dress")

    assert "In your usual L?" in asked
    assert customer.options()[0]["title"] == "L"


def test_a_paid_size_outweighs_one_chosen_in_chat_and_the_newest_wins_a_tie(customer: Chat):
    paid_order(customer, ("MM-D2", "M", 1, 2600))  # paid: counts 2
    pick(customer, "show me the zuri linen shift dress", "Zuri Linen Shift Dress")
    customer.say("size S")  # chosen in chat: counts 1
    customer.say("clear my cart")
    assert "In your usual M?" in pick(customer, "show me dresses", "Amani Wrap Dress")

    customer.say("S")  # a second choice of S: 2 against 2, and S is the newer
    customer.say("clear my cart")

    assert "In your usual S?" in pick(customer, "show me dresses", "Amani Wrap Dress")


# --- same as last time --------------------------------------------------------------------------


def last_time(customer: Chat) -> None:
    """Her last order: the slip dress in M at an older price, and a kimono now sold out."""
    paid_order(customer, ("MM-S1", "S", 1, 1500), days_ago=40)
    paid_order(customer, ("MM-D2", "M", 2, 2400), ("MM-K1", "M", 1, 2100), days_ago=5)


def test_a_returning_customer_taps_same_as_last_time_and_gets_her_cart_at_todays_prices(
    customer: Chat,
):
    last_time(customer)
    customer.say("hi")
    assert [r["title"] for r in customer.options()] == ["Same as last time", "Browse", "My order"]

    reply = customer.tap(1)

    assert customer.last is not None and customer.last.record["intent"] == "repeat_order"
    assert "Here's your last order again, at today's prices:" in reply
    assert "Green Satin Slip Dress is now KES 2,600 (it was KES 2,400)." in reply
    assert "Sorry, Kitenge Kimono Jacket (size M) is sold out right now, so I left it out." in reply
    assert "- 2 x Green Satin Slip Dress (size M) - KES 5,200" in reply
    assert "Total: KES 5,200" in reply
    assert cart(customer) == [("Green Satin Slip Dress", "M", 2, Decimal("2600"))]
    assert [r["id"] for r in customer.options()] == ["pay", "cart"]

    again = customer.tap(1)  # Pay with M-Pesa: on to checkout
    assert customer.last is not None and customer.last.record["intent"] == "checkout"
    assert "deliver" in again.lower()


def test_tapping_same_as_last_time_twice_does_not_double_the_cart(customer: Chat):
    last_time(customer)
    customer.say("hi")
    customer.tap(1)

    customer.press("again", "Same as last time")

    assert cart(customer) == [("Green Satin Slip Dress", "M", 2, Decimal("2600"))]


@pytest.mark.parametrize(
    ("typed", "header"),
    [
        ("same as last time", "Here's your last order again, at today's prices:"),
        ("nataka ile ile ya mwisho", "Hii ni oda yako ya mwisho tena, kwa bei za leo:"),
        ("niletee kama last time", None),  # Sheng: either language may answer
    ],
)
def test_same_as_last_time_typed_in_english_swahili_or_sheng(
    customer: Chat, typed: str, header: str | None
):
    last_time(customer)

    reply = customer.say(typed)

    assert customer.last is not None and customer.last.record["intent"] == "repeat_order"
    if header is not None:
        assert header in reply
    assert cart(customer) == [("Green Satin Slip Dress", "M", 2, Decimal("2600"))]
    assert "Kitenge Kimono Jacket (size M)" in reply


def test_a_new_customer_has_no_last_order_to_repeat(customer: Chat):
    customer.say("hi")
    assert [r["title"] for r in customer.options()] == ["Browse", "My order", "Talk to a person"]

    reply = customer.say("same as last time")

    assert "I can't find a paid order of yours yet." in reply
    assert cart(customer) == []


def test_same_as_last_time_while_asked_for_the_address_is_the_address(customer: Chat):
    last_time(customer)
    pick(customer, "show me the amani wrap dress", "Amani Wrap Dress")
    customer.say("M")
    customer.say("checkout")
    assert customer.conversation()["metadata"]["awaiting"] == "delivery_address"

    customer.say("same as last time")

    assert customer.last is not None and customer.last.record["intent"] != "repeat_order"
    assert cart(customer) == [("Amani Wrap Dress", "M", 1, Decimal("2800"))]


def test_what_she_bought_at_another_boutique_is_not_remembered_here(customer: Chat, demo: Shop):
    elsewhere = Chat(demo, customer.db, phone=customer.phone)  # same number, another boutique
    paid_order(elsewhere, ("NY-D009", "M", 1, 2600))  # a dress in M, bought over there

    customer.say("hi")
    assert [r["title"] for r in customer.options()] == ["Browse", "My order", "Talk to a person"]
    asked = pick(customer, "show me the amani wrap dress", "Amani Wrap Dress")

    assert "usual" not in asked
    assert "I can't find a paid order of yours yet." in customer.say("same as last time")


@pytest.mark.parametrize(
    ("ask", "title"),
    [("I want to buy something", "Same as last time"), ("nataka kununua", "Oda ya mwisho tena")],
)
def test_a_returning_customer_asking_to_shop_sees_her_last_order_first(
    customer: Chat, ask: str, title: str
):
    last_time(customer)

    customer.say(ask)

    rows = customer.options()
    assert (rows[0]["id"], rows[0]["title"]) == ("again", title)
    assert len(rows) >= 2 and all(r["id"].startswith("pick:") for r in rows[1:])
    customer.tap(1)
    assert customer.last is not None and customer.last.record["intent"] == "repeat_order"
    assert cart(customer) == [("Green Satin Slip Dress", "M", 2, Decimal("2600"))]


def test_browse_puts_her_last_order_first_for_a_returning_customer_only(customer: Chat):
    customer.press("browse", "Browse")
    assert all(r["id"].startswith("pick:") for r in customer.options())

    last_time(customer)
    customer.press("browse", "Browse")

    assert customer.options()[0]["id"] == "again"


def test_a_stale_tap_asks_for_the_size_again_with_her_usual_first(customer: Chat):
    paid_order(customer, ("MM-D2", "M", 1, 2600))
    pick(customer, "show me the amani wrap dress", "Amani Wrap Dress")

    again = customer.press("size:not-a-product:M", "M")

    assert "In your usual M?" in again
    assert customer.options()[0]["title"] == "M"
    assert "Added 1 x Amani Wrap Dress (size M)" in customer.say("yes")
