"""An item named in a message is the item acted on: matched by garment, colour or name."""

from __future__ import annotations

from tests.turns.chat import Chat
from tests.turns.test_shopping import listed_items


def add(chat: Chat, search: str, name: str, size: str) -> None:
    names = [listed for listed, _ in listed_items(chat.say(search))]
    assert name in names, names
    reply = chat.say(f"I want #{names.index(name) + 1} in size {size}")
    assert f"Added 1 x {name}" in reply, reply


def shirt_and_jacket(chat: Chat) -> None:
    add(chat, "silk button shirt", "Silk Button Shirt", "M")
    add(chat, "denim jacket", "Denim Jacket", "L")


def test_remove_the_blazer_removes_the_jacket_not_the_shirt(chat: Chat):
    shirt_and_jacket(chat)
    reply = chat.say("remove the blazer")

    assert "Removed 1 x Denim Jacket" in reply, reply
    assert "Silk Button Shirt" in reply.split("\n", 1)[1]


def test_make_the_shirt_2_sets_the_shirts_quantity(chat: Chat):
    shirt_and_jacket(chat)
    reply = chat.say("make the shirt 2")

    assert "2 x Silk Button Shirt (size M)" in reply, reply
    assert "1 x Denim Jacket (size L)" in reply


def test_swahili_negation_removes_the_named_item(chat: Chat):
    shirt_and_jacket(chat)
    reply = chat.say("sitaki ile koti tena")

    assert "Nimetoa 1 x Denim Jacket" in reply, reply
    assert "Silk Button Shirt" in reply


def test_english_negation_removes_the_named_item(chat: Chat):
    shirt_and_jacket(chat)
    reply = chat.say("I don't want the shirt any more")

    assert "Removed 1 x Silk Button Shirt" in reply, reply
    assert "Denim Jacket" in reply


def test_two_dresses_and_remove_the_dress_asks_which_and_changes_nothing(chat: Chat):
    add(chat, "red bodycon dress", "Red Bodycon Dress", "S")
    add(chat, "black wrap dress", "Black Wrap Dress", "M")
    reply = chat.say("remove the dress")
    cart = chat.say("what's in my cart?")

    assert reply.startswith("Which one do you mean:"), reply
    assert "Red Bodycon Dress" in reply and "Black Wrap Dress" in reply
    assert "Red Bodycon Dress" in cart and "Black Wrap Dress" in cart
    named = chat.say("remove the bodycon dress")
    assert "Removed 1 x Red Bodycon Dress" in named, named
