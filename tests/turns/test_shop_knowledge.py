"""Questions about the shop answered from the owner's settings, never guessed; complaints and
returns flagged for the owner; paying on delivery never read as checkout."""

from __future__ import annotations

from typing import Any

import pytest

from duka_local.stack.database import DatabaseUrls
from tests.conftest import random_kenyan_number
from tests.turns.chat import Chat, Shop, owner_settings

POCHI = random_kenyan_number()
SETTINGS: dict[str, Any] = {
    "profile": {"location": "Moi Avenue, Nairobi CBD", "hours": "Mon-Sat 9am-7pm"},
    "delivery": {"fees": {"upcountry": 450}},
    "shop": {
        "directions": "2nd floor, Shop 12, opposite Hilton",
        "delivery_times": "Nairobi same day, upcountry 1-2 days",
        "pickup": True,
        "pickup_where": "the shop on Moi Avenue",
        "pay_on_delivery": False,
        "returns": "Exchanges within 7 days with the tags on.",
        "till": "123456",
        "paybill": "222111",
        "paybill_account": "NYOTA",
        "pochi": POCHI,
    },
}


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Where is your shop located?", "We're at Moi Avenue, Nairobi CBD."),
        ("how do I get to your shop? directions pls", "opposite Hilton"),
        ("What time do you close?", "Opening hours: Mon-Sat 9am-7pm."),
        ("Do you deliver to Kisumu, how much?", "we deliver to Kisumu: delivery is KES 450"),
        ("how long does delivery take", "Nairobi same day, upcountry 1-2 days"),
        ("Can I come pick it up myself?", "pick up your order from the shop on Moi Avenue"),
        ("Do you do pay on delivery?", "you pay with M-Pesa before we send your order"),
        ("what's your return policy", "Exchanges within 7 days with the tags on."),
        ("whats your till number", "Till 123456, Paybill 222111 (NYOTA), Pochi la Biashara"),
        ("Mko wapi?", "Tuko Moi Avenue, Nairobi CBD."),
        ("Mnafungua saa ngapi kesho?", "Saa za kazi: Mon-Sat 9am-7pm."),
        ("Mnafika Kisumu? ni ngapi", "tunaleta Kisumu: delivery ni KES 450"),
        ("nitakuja kuchukua mwenyewe", "unaweza kuchukua order yako mwenyewe"),
        ("Naweza lipa nikipokea mzigo?", "unalipa kwa M-Pesa kabla tukutumie order"),
        ("mnakubali kurudisha nguo kama haijanitosha?", "Kurudisha na kubadilisha: Exchanges"),
        ("Paybill number yenu ni gani?", "Unaweza kulipa kwa Till 123456"),
    ],
)
def test_shop_questions_are_answered_from_the_owners_settings(
    demo: Shop, turn_database: DatabaseUrls, question: str, answer: str
):
    chat = Chat(demo, turn_database)
    with owner_settings(turn_database, demo, SETTINGS):
        reply = chat.say(question)

    assert answer in reply
    assert chat.last is not None and chat.last.record["intent"] == "shop_question"
    assert "needs_attention" not in chat.conversation()["metadata"]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Are you open on Sunday?", "I'll ask the owner about opening hours"),
        ("do you accept returns", "I'll ask the owner about returns and exchanges"),
        ("Naweza lipa nikipokea mzigo?", "Nitamuuliza mwenye duka kuhusu kulipa ukipokea mzigo"),
    ],
)
def test_what_the_owner_has_not_set_is_asked_and_flagged_never_guessed(
    chat: Chat, question: str, answer: str
):
    reply = chat.say(question)

    assert answer in reply
    metadata = chat.conversation()["metadata"]
    assert metadata["needs_attention"] is True and metadata["attention_reason"] == "question"


def test_a_delivery_fee_the_owner_left_standard_is_the_fee_checkout_charges(chat: Chat):
    reply = chat.say("how much is delivery to Rongai?")

    assert "we deliver to Rongai: delivery is KES 300" in reply
    assert "needs_attention" not in chat.conversation()["metadata"]


def test_asking_to_pay_on_delivery_mid_checkout_sends_no_mpesa_prompt(
    demo: Shop, turn_database: DatabaseUrls
):
    chat = Chat(demo, turn_database)
    settings = {"shop": {"pay_on_delivery": True}}
    with owner_settings(turn_database, demo, settings):
        chat.say("red bodycon dress")
        chat.say("I want #1 in size S")
        chat.say(f"checkout, pay with 0{random_kenyan_number()[4:]}")
        asked = chat.say("Deliver to Westlands, Sarit Centre")  # delivery known, payer asked
        first = chat.say("can I pay on delivery?")
        second = chat.say("yes, nikilipa rider akifika ni sawa?")

    assert "Send the M-Pesa prompt to" in asked
    assert "Yes, you can pay on delivery." in first
    assert "unaweza kulipa ukipokea mzigo" in second
    assert "M-Pesa prompt" not in first + second
    assert chat.orders() == 0


def test_a_complaint_about_a_garment_apologises_flags_the_chat_and_alerts_the_owner(
    chat: Chat, demo: Shop
):
    chat.say("red bodycon dress")
    shown = chat.conversation()["metadata"]["shown"]
    reply = chat.say("The dress I ordered came torn")

    assert "I'm so sorry" in reply and "owner" in reply
    metadata = chat.conversation()["metadata"]
    assert metadata["needs_attention"] is True and metadata["attention_reason"] == "complaint"
    assert metadata["shown"] == shown  # no search replaced the items shown
    assert chat.last is not None and chat.last.record["shown"] == []
    assert [m["to"] for m in chat.last.extra_messages] == [demo.owner]


@pytest.mark.parametrize(
    "complaint",
    ["jeans mlinitumia imechanika kwa mfuko", "Nataka kurudisha hii rinda, haifit"],
)
def test_a_complaint_in_swahili_is_answered_in_swahili(chat: Chat, complaint: str):
    reply = chat.say(complaint)

    assert reply.startswith("Pole sana")
    assert chat.conversation()["metadata"]["attention_reason"] == "complaint"


def test_a_later_question_does_not_hide_a_complaint(chat: Chat):
    chat.say("I want to return the shoes, they don't fit")
    chat.say("do you accept returns")

    assert chat.conversation()["metadata"]["attention_reason"] == "complaint"
