"""Checkout questions, the paying number's confirmation, handover and the owner's personality,
in-process; the M-Pesa prompt itself is proven end to end (test_journeys, test_paying_number)."""

from __future__ import annotations

from datetime import timedelta

from duka.orchestrator.payer_confirmation import CONFIRMATION_TTL_S
from duka.privacy.notice import notice_url
from duka_local.stack.database import DatabaseUrls
from tests.conftest import random_kenyan_number
from tests.turns.chat import Chat, FrozenClock, Shop, owner_settings


def local(e164: str) -> str:
    digits = "0" + e164.removeprefix("+254")
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def masked(e164: str) -> str:
    digits = "0" + e164.removeprefix("+254")
    return f"{digits[:4]} *** {digits[7:]}"


def test_a_message_that_is_not_an_address_is_not_taken_as_one(chat: Chat):
    chat.say("kitenge skirt")
    chat.say("I want #1 in size M")
    asked = chat.say("checkout")
    reply = chat.say("wait")

    assert "Where should we deliver" in asked
    assert "Where should we deliver" in reply
    assert chat.orders() == 0


def test_a_yes_after_the_question_went_stale_asks_again(chat: Chat):
    clock = chat.clock
    assert isinstance(clock, FrozenClock)
    paying = random_kenyan_number()
    chat.say("red bodycon dress")
    chat.say("I want #1 in size S")
    chat.say(f"checkout, pay with {local(paying)}")
    question = chat.say("Deliver to Westlands, Sarit Centre")
    clock.now += timedelta(seconds=CONFIRMATION_TTL_S + 60)
    late = chat.say("yes")

    assert f"Send the M-Pesa prompt to {masked(paying)}?" in question
    assert f"Send the M-Pesa prompt to {masked(paying)}?" in late
    assert chat.orders() == 0
    state = chat.conversation()["metadata"]
    assert state["awaiting"] == "payer_confirmation" and state["pay_phone"] == paying


def test_talk_to_a_person_hands_over_flags_the_chat_and_alerts_the_owner(chat: Chat, demo: Shop):
    reply = chat.say("nataka kuongea na mtu")

    assert "mwenye duka" in reply
    conversation = chat.conversation()
    assert conversation["status"] == "handed_over"
    assert conversation["metadata"]["needs_attention"] is True
    assert chat.last is not None
    assert [m["to"] for m in chat.last.extra_messages] == [demo.owner]


def test_owner_personality_sets_the_greeting_sign_off_and_reply_language(
    demo: Shop, turn_database: DatabaseUrls
):
    personality = {
        "agent": {
            "tone": "elegant",
            "greeting": "Welcome to Nyota, darling! What are you shopping for?",
            "languages": ["en"],
            "sign_off": "— Nyota team",
        }
    }
    chat = Chat(demo, turn_database)
    with owner_settings(turn_database, demo, personality):
        greeting = chat.say("hello")
        search = chat.say("nataka sketi ya kitenge")
        thanks = chat.say("asante sana")

    assert greeting == (  # a new customer's first reply links the privacy notice
        "Welcome to Nyota, darling! What are you shopping for?\n\n"
        f"How we use your data: {notice_url(demo.id)}"
    )
    assert "Here's what we have" in search
    assert thanks.endswith("— Nyota team")
