"""Demand the shop doesn't stock: a search or photo that found nothing, or only weak matches,
leaves one demand signal (garment, colour, size, price band, her words); a good match none."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from duka_local.demo.synthetic import garment_photo
from tests.turns.chat import Chat
from tests.turns.test_voice_notes import AudioHost, audio  # noqa: F401  (fixture)


def signals(chat: Chat) -> list[dict[str, Any]]:
    with psycopg.connect(chat.db.admin, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT d.* FROM demand_signals d JOIN conversations c ON c.id = d.conversation_id"
            " WHERE c.customer_phone = %s ORDER BY d.created_at",
            (chat.phone,),
        ).fetchall()


def ask(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["kind"], row["garment"], row["colour"], row["size"], row["price_band"])


def test_english_plus_size_kitenge_dresses_under_3k_is_recorded_as_unmet(chat: Chat):
    chat.say("do you have plus-size kitenge dresses under 3k?")

    [row] = signals(chat)
    assert ask(row) == ("search", "kitenge dress", None, "plus", "2-3k"), row
    assert row["max_price"] == 3000 and row["outcome"] in ("none", "weak")
    assert row["words"] == "do you have plus-size kitenge dresses under 3k?"
    assert row["message_id"] is not None


def test_swahili_red_dress_in_a_size_nobody_stocks_is_weak(chat: Chat):
    reply = chat.say("una rinda nyekundu size XXL chini ya elfu mbili?")

    [row] = signals(chat)
    assert ask(row) == ("search", "dress", "red", "XXL", "1-2k"), (row, reply)


def test_sheng_purple_dress_shows_other_colours_and_records_the_purple_ask(chat: Chat):
    chat.say("niko na budget ya 2k, uko na dera ya purple size 18?")

    [row] = signals(chat)
    assert ask(row) == ("search", "dress", "purple", "18", "1-2k"), row
    assert row["outcome"] in ("none", "weak")


def test_sheng_dera_ya_kitenge_in_a_size_not_stocked_groups_as_a_kitenge_dress(chat: Chat):
    chat.say("sasa, uko na dera ya kitenge size XXL?")

    [row] = signals(chat)
    assert ask(row) == ("search", "kitenge dress", None, "XXL", None), row
    assert row["outcome"] == "weak"  # the kitenge maxi comes in M, L and XL only


def test_a_search_with_good_matches_records_nothing(chat: Chat):
    reply = chat.say("red bodycon dress size M")

    assert "Red Bodycon Dress" in reply, reply
    assert signals(chat) == []


def test_a_swahili_search_the_shop_can_answer_records_nothing(chat: Chat):
    reply = chat.say("mko na dera ya kitenge size L?")

    assert "Kitenge Maxi Dress" in reply, reply
    assert signals(chat) == []


def test_a_photo_with_no_close_match_records_a_photo_ask(chat: Chat, audio: AudioHost):  # noqa: F811
    pink = garment_photo("dress", ["pink"], seed=3)  # the pink dress is sold out
    chat.say("", attachments=[audio.voice_note(pink, "image/jpeg")])

    [row] = signals(chat)
    assert (row["kind"], row["colour"], row["outcome"]) == ("photo", "pink", "weak"), row


def test_a_photo_of_a_stocked_red_dress_records_nothing(chat: Chat, audio: AudioHost):  # noqa: F811
    red = garment_photo("dress", ["red"], seed=42)
    reply = chat.say("", attachments=[audio.voice_note(red, "image/jpeg")])

    assert "Red Bodycon Dress" in reply, reply
    assert signals(chat) == []
