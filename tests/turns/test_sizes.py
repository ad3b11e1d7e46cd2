"""Any size a boutique sells, said in chat: waists, EU and UK shoes, children's and bra sizes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from duka.catalog.search import SearchQuery, search_products
from duka.db.pool import tenant_transaction
from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop, create_shop

CATALOGUE = """sku,name,description,price,stock,category,colors,sizes,images
SZ-J1,Slim Blue Jeans,Stretch denim,2800,8,jeans,blue,28;30;32;34,
SZ-T1,Linen Wide Trousers,Wide leg linen,2400,5,trousers,beige,S;M;L,
SZ-S1,Leather Ankle Boots,Block heel boots,4500,6,shoes,black,EU37;EU38;EU39,
SZ-S2,Canvas Sneakers,Lace-up canvas,2200,6,shoes,white,UK5;UK6;UK7,
SZ-K1,Girls Party Dress,Tulle party dress,1800,5,kids,pink,2-3 yrs;4-5Y;6Y,
SZ-B1,Lace Bra,Underwired lace bra,1500,9,lingerie,black,34B;36DD,
"""


@pytest.fixture(scope="module")
def sized_shop(
    turn_database: DatabaseUrls,
    _turn_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Shop]:
    path: Path = tmp_path_factory.mktemp("sized") / "catalogue.csv"
    path.write_text(CATALOGUE)
    yield create_shop(turn_database, path, _turn_env)


@pytest.fixture()
def customer(sized_shop: Shop, turn_env: None, turn_database: DatabaseUrls) -> Chat:
    return Chat(sized_shop, turn_database)


def cart_sizes(chat: Chat) -> list[tuple[str, str]]:
    cart = chat.conversation()["metadata"].get("cart") or {}
    return [(item["sku"], item["size"]) for item in cart.get("items", [])]


def test_a_bare_waist_size_on_jeans_shown_adds_the_waist(customer: Chat):
    assert "Slim Blue Jeans" in customer.say("nataka jeans")
    asked = customer.say("nataka size 32")  # a size alone could be a new search: ask
    assert "Slim Blue Jeans (size W32)" in asked and cart_sizes(customer) == [], asked
    reply = customer.say("1")

    assert "Slim Blue Jeans (size W32)" in reply, reply
    assert cart_sizes(customer) == [("SZ-J1", "W32")]


@pytest.mark.parametrize(
    ("search", "pick", "added"),
    [
        ("show me jeans", "waist 34", "Slim Blue Jeans (size W34)"),
        ("canvas sneakers", "I want #1 in size 6", "Canvas Sneakers (size UK6)"),
        ("girls party dress", "I want #1 size 2-3 yrs", "Girls Party Dress (size 2-3Y)"),
        ("do you have a lace bra?", "I want #1 in 36dd", "Lace Bra (size 36DD)"),
    ],
    ids=["waist-said-as-waist", "bare-number-on-uk-shoes", "childrens-size", "bra-size"],
)
def test_a_size_is_added_in_the_catalogues_spelling(
    customer: Chat, search: str, pick: str, added: str
):
    customer.say(search)
    reply = customer.say(pick)

    assert added in reply, reply


def test_saizi_ya_38_on_eu_shoes_adds_that_size(customer: Chat):
    assert "Leather Ankle Boots" in customer.say("mnauza ankle boots?")
    reply = customer.say("nataka #1 saizi ya 38")

    assert "Leather Ankle Boots (size 38)" in reply, reply
    assert cart_sizes(customer) == [("SZ-S1", "38")]


def test_a_size_the_product_lacks_is_refused_with_its_own_sizes(customer: Chat):
    customer.say("show me jeans")
    reply = customer.say("nataka size 40")

    assert "W28, W30, W32, W34" in reply and "Added" not in reply, reply


def test_search_ranks_products_offered_in_the_said_size_first(
    sized_shop: Shop, turn_env: None, turn_database: DatabaseUrls
):
    with tenant_transaction(sized_shop.id, url=turn_database.app) as conn:
        waist = search_products(conn, SearchQuery(text="jeans trousers", size="32", limit=5))
        shoes = search_products(conn, SearchQuery(text="shoes", size="UK6", limit=5))

    assert waist[0].sku == "SZ-J1" and waist[0].has_size
    assert shoes[0].sku == "SZ-S2" and shoes[0].has_size
