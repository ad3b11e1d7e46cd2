"""Questions about an item shown are answered from its product row, or left to the owner and
flagged; they never replace the items shown. A sold-out item asked for by name is said to be
sold out, with close alternatives in stock, and "when is it back?" is never guessed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from duka.db.pool import tenant_transaction
from duka.store import shop_knowledge
from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop, create_shop
from tests.turns.models import FunctionModel, echo_draft, reply
from tests.turns.test_model_decisions import sure
from tests.turns.test_shopping import listed_items

SHIFT = '"Breathable shift dress, knee-length with a relaxed fit. Hand wash cold."'
CATALOGUE = f"""sku,name,description,price,stock,category,colors,sizes,images
LN-1,Black Linen Shift Dress,{SHIFT},3000,4,dress,black,S;M;L,
LN-2,White Linen Shift Dress,{SHIFT},3000,2,dress,white,S;M,
LN-3,Navy Linen Shift Dress,{SHIFT},3000,0,dress,navy,S;M,
ZU-1,Zuri Maxi Dress,Floor sweeping party dress,2600,3,dress,green,M;L,
SQ-1,Sequin Party Gown,Sparkly evening gown,9000,1,dress,gold,M,
AM-1,Amani Wrap Dress,Wrap dress that ties at the waist,2800,0,dress,maroon,S;M;L,
KM-1,Kimani Midi Skirt,A-line skirt with pockets,1500,5,skirt,green,S;M,
"""


@pytest.fixture(scope="module")
def _style_shop(
    turn_database: DatabaseUrls,
    _turn_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Shop]:
    folder: Path = tmp_path_factory.mktemp("style-shop")
    (folder / "catalogue.csv").write_text(CATALOGUE)
    shop = create_shop(turn_database, folder / "catalogue.csv", _turn_env)
    with psycopg.connect(turn_database.admin, autocommit=True) as conn:
        # What the owner's product form adds: attributes, and stock per size.
        conn.execute(
            "UPDATE products SET attrs = attrs || %s WHERE business_id = %s AND sku = 'ZU-1'",
            (Jsonb({"material": "viscose", "fit": "true to size"}), shop.id),
        )
        for size, stock in (("S", 0), ("M", 2), ("L", 2)):
            conn.execute(
                "INSERT INTO product_stock (business_id, product_id, size, stock)"
                " SELECT business_id, id, %s, %s FROM products"
                " WHERE business_id = %s AND sku = 'LN-1'",
                (size, stock, shop.id),
            )
    yield shop


@pytest.fixture()
def shop(_style_shop: Shop, turn_env: None) -> Shop:
    return _style_shop


@pytest.fixture()
def customer(shop: Shop, turn_database: DatabaseUrls) -> Chat:
    return Chat(shop, turn_database)


def shown_ids(chat: Chat) -> list[str]:
    return [item["id"] for item in chat.conversation()["metadata"].get("shown") or []]


def flagged(chat: Chat) -> bool:
    metadata: dict[str, Any] = chat.conversation()["metadata"]
    return metadata.get("needs_attention") is True and metadata["attention_reason"] == "question"


def show_black_linen(chat: Chat) -> None:
    names = [name for name, _ in listed_items(chat.say("black linen shift dress"))]
    assert names[0] == "Black Linen Shift Dress", names


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("what material is #1?", "Black Linen Shift Dress: linen."),
        ("does #1 run small?", "relaxed fit"),
        ("is #1 knee length?", "knee-length"),
        ("how do I wash #1?", "Hand wash cold."),
        ("what sizes does #1 come in?", "comes in sizes S, M, L.\nSold out in size S."),
        ("kitambaa cha #1 ni gani?", "Black Linen Shift Dress: kitambaa ni linen."),
        ("#1 inakaa aje?", "maelezo: Breathable shift dress"),
        ("#1 iko na saizi gani?", "iko na size S, M, L.\nSize S zimeisha."),
    ],
)
def test_a_product_question_is_answered_from_the_product_row(
    customer: Chat, question: str, answer: str
):
    show_black_linen(customer)
    reply_text = customer.say(question)

    assert answer in reply_text, reply_text
    assert not flagged(customer)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("what material is it?", "I'll check with the owner about the material for Kimani"),
        ("is it original?", "I'll check with the owner about whether it's original for"),
        ("#1 ni original?", "Nitamuuliza mwenye duka kuhusu kama ni original ya Kimani"),
        ("kitambaa cha #1 ni gani?", "Nitamuuliza mwenye duka kuhusu kitambaa ya Kimani"),
    ],
)
def test_what_the_product_does_not_say_is_left_to_the_owner_and_flagged(
    customer: Chat, question: str, answer: str
):
    assert "Kimani Midi Skirt" in customer.say("kimani midi skirt")
    reply_text = customer.say(question)

    assert answer in reply_text, reply_text
    assert flagged(customer)
    with tenant_transaction(customer.shop.id, url=customer.db.app) as conn:
        asked = shop_knowledge.open_questions(conn)  # answerable in one step on the dashboard
    conversation = str(customer.conversation()["id"])
    [waiting] = [q for q in asked if str(q["conversation_id"]) == conversation]
    assert waiting["question"].startswith("Kimani Midi Skirt: ") and question in waiting["question"]
    assert waiting["topic"].startswith("product:")


def test_an_owner_attribute_is_stated_as_the_owner_wrote_it(customer: Chat):
    customer.say("zuri maxi dress")
    reply_text = customer.say("what fabric is it? does it fit true to size?")

    assert "Zuri Maxi Dress: viscose." in reply_text
    assert "Zuri Maxi Dress fit: true to size." in reply_text


def test_a_question_keeps_the_items_shown_and_their_numbers(customer: Chat):
    names = [name for name, _ in listed_items(customer.say("show me linen shift dresses"))]
    assert len(names) >= 2, names
    before = shown_ids(customer)
    customer.say("what material is #2?")
    customer.say("is #2 original?")

    assert shown_ids(customer) == before
    added = customer.say("I want #2 in size M")
    assert f"Added 1 x {names[1]} (size M)" in added, added


def test_other_colours_of_the_style_in_stock_are_numbered_after_the_items_shown(customer: Chat):
    reply_text = customer.say("black linen shift dress")
    before = shown_ids(customer)
    assert [name for name, _ in listed_items(reply_text)][0] == "Black Linen Shift Dress"
    answer = customer.say("does #1 come in other colours?")

    assert "Black Linen Shift Dress comes in black." in answer
    assert "Navy" not in answer  # sold out
    after = shown_ids(customer)
    assert after[: len(before)] == before
    if len(after) > len(before):  # the white one was not shown yet: it gets the next number
        assert f"{len(after)}. White Linen Shift Dress - KES 3,000" in answer
    else:
        assert "White Linen Shift Dress - KES 3,000" in answer


def test_other_colours_asked_in_swahili(customer: Chat):
    customer.say("black linen shift dress")
    answer = customer.say("#1 iko na rangi zingine?")

    assert "Black Linen Shift Dress inapatikana rangi black." in answer
    assert "Mtindo huo huo kwa rangi zingine" in answer and "White Linen Shift Dress" in answer


def test_a_sold_out_item_asked_by_name_offers_close_alternatives_and_no_restock_date(
    customer: Chat,
):
    sold = customer.say("do you have the Amani wrap dress?")

    assert "Sorry, Amani Wrap Dress is sold out right now." in sold
    options = listed_items(sold)
    assert 1 <= len(options) <= 3
    assert "Sequin Party Gown" not in sold  # a dress, but far from its price
    assert "Kimani Midi Skirt" not in sold  # near in price, but a skirt
    back = customer.say("when will it be back?")

    assert "Amani Wrap Dress is sold out and I don't know yet when it will be back." in back
    assert "I'll check with the owner about when it will be back in stock" in back
    assert flagged(customer)


def test_a_sold_out_item_asked_by_name_in_swahili(customer: Chat):
    sold = customer.say("Mnauza Amani wrap dress?")

    assert "Pole, Amani Wrap Dress imeisha kwa sasa." in sold
    assert "Zinazokaribiana nazo, ziko kwa stock:" in sold
    back = customer.say("itarudi lini?")

    assert "sijui bado lini itarudi" in back
    assert "Nitamuuliza mwenye duka kuhusu lini itarudi" in back


def test_a_sold_out_colour_offers_the_same_style_in_stock_first(customer: Chat):
    sold = customer.say("do you have the navy linen shift dress?")

    assert "Sorry, Navy Linen Shift Dress is sold out right now." in sold
    names = [name for name, _ in listed_items(sold)]
    assert set(names[:2]) == {"Black Linen Shift Dress", "White Linen Shift Dress"}, names


def test_an_in_stock_item_asked_by_name_is_shown_not_called_sold_out(customer: Chat):
    found = customer.say("do you have the white linen shift dress?")

    assert "sold out" not in found
    assert "White Linen Shift Dress" in found


def test_online_the_model_rephrases_the_product_facts(
    shop: Shop, turn_database: DatabaseUrls, monkeypatch: pytest.MonkeyPatch
):
    sure(monkeypatch)  # the turn's one call phrases the reply (not a decision)
    model = FunctionModel(echo_draft)
    chat = Chat(shop, turn_database, model=model)
    show_black_linen(chat)
    answer = chat.say("what material is #1?")

    assert answer.startswith("Sawa! ") and "linen" in answer
    assert "Fact: Black Linen Shift Dress: linen." in model.requests[-1].prompt


def test_online_a_fabric_the_product_does_not_state_is_never_sent(
    shop: Shop, turn_database: DatabaseUrls, monkeypatch: pytest.MonkeyPatch
):
    sure(monkeypatch)
    chat = Chat(shop, turn_database, model=FunctionModel(reply("Yes, it's 100% cotton!")))
    show_black_linen(chat)
    answer = chat.say("is #1 cotton?")

    assert "cotton" not in answer and "Black Linen Shift Dress: linen." in answer
    assert chat.last is not None and chat.last.record["fallback_reason"] == "invented_fact"
