"""Phrasings customers used that the agent once missed (issue 14), as the customer sees them.

None of these is a trigger phrase the rules were written for; the learned model reads them.
"""

from __future__ import annotations

from tests.turns.chat import Chat
from tests.turns.test_named_items import add


def test_swahili_words_for_show_me_and_for_the_basket(chat: Chat):
    shown = chat.say("nionyesheni makoti ya denim")
    assert "Denim Jacket - KES 3,200" in shown, shown
    add(chat, "denim jacket", "Denim Jacket", "L")

    basket = chat.say("kikapu changu kina nini?")

    assert "1 x Denim Jacket (size L) - KES 3,200" in basket and "Total: KES 3,200" in basket


def test_a_quantity_change_without_a_trigger_word_is_asked_then_made(chat: Chat):
    add(chat, "silk button shirt", "Silk Button Shirt", "M")

    asked = chat.say("I need 3 not 1")
    assert asked == "Do you want me to change Silk Button Shirt to 3? Reply yes or no.", asked
    done = chat.say("yes")

    assert "3 x Silk Button Shirt (size M)" in done, done


def test_a_swahili_quantity_change_without_a_trigger_word(chat: Chat):
    add(chat, "silk button shirt", "Silk Button Shirt", "M")

    reply = chat.say("nataka tatu si moja")

    assert "3 x Silk Button Shirt (size M)" in reply, reply


def test_ee_answers_ready_to_checkout(chat: Chat):
    add(chat, "denim jacket", "Denim Jacket", "L")
    assert "Uko tayari kulipa?" in chat.say("cart yangu je")

    reply = chat.say("ee")

    assert "Tukuletee wapi?" in reply, reply


def test_removal_by_negation_and_payment_trouble_in_other_words(chat: Chat):
    add(chat, "denim jacket", "Denim Jacket", "L")

    removed = chat.say("sitaki tena hiyo jacket")
    prompt = chat.say("the prompt never showed up")

    assert "Nimetoa 1 x Denim Jacket (size L)" in removed, removed
    assert "no payment open for you" in prompt, prompt
