"""The rule-based classifier on a labelled set of real-looking Kenyan boutique chat."""

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from duka.orchestrator.entities import Entities, extract_entities
from duka.orchestrator.intents import ClassifierContext, Intent, classify
from duka.orchestrator.language import Language, detect_language

UTTERANCES = Path(__file__).parent / "data" / "utterances.jsonl"
ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in UTTERANCES.read_text(encoding="utf-8").splitlines() if line
]


def _context(row: dict[str, Any]) -> ClassifierContext:
    return ClassifierContext(
        awaiting=row["awaiting"],
        has_cart=row.get("has_cart", False),
        has_shown_items=row.get("has_shown_items", False),
    )


def _classify(row: dict[str, Any]) -> tuple[str, str]:
    result = classify(row["text"], has_media=row["has_media"], context=_context(row))
    return result.intent.value, result.language.value


def test_labelled_set_covers_every_intent_at_least_eight_times() -> None:
    counts = Counter(row["intent"] for row in ROWS)
    assert len(ROWS) >= 200
    assert {intent.value for intent in Intent} == set(counts)
    assert min(counts.values()) >= 8, counts


def test_intent_and_language_accuracy_on_the_labelled_set() -> None:
    intent_hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    language_hits = 0
    misses: list[str] = []
    for row in ROWS:
        intent, language = _classify(row)
        totals[row["intent"]] += 1
        intent_hits[row["intent"]] += intent == row["intent"]
        language_hits += language == row["lang"]
        if intent != row["intent"]:
            misses.append(f"  {row['text']!r}: {intent} (expected {row['intent']})")
    intent_accuracy = sum(intent_hits.values()) / len(ROWS)
    language_accuracy = language_hits / len(ROWS)

    print(f"\n{'intent':<18}{'n':>5}{'accuracy':>10}")
    for name in sorted(totals):
        print(f"{name:<18}{totals[name]:>5}{intent_hits[name] / totals[name]:>10.2f}")
    print(f"{'ALL intents':<18}{len(ROWS):>5}{intent_accuracy:>10.3f}")
    print(f"{'language':<18}{len(ROWS):>5}{language_accuracy:>10.3f}")
    print("\n".join(misses))

    assert intent_accuracy >= 0.9
    assert language_accuracy >= 0.85


@pytest.mark.parametrize("row", ROWS, ids=[row["text"][:40] or "<photo only>" for row in ROWS])
def test_entities_match_the_labelled_set(row: dict[str, Any]) -> None:
    entities = extract_entities(row["text"])
    for name, expected in row["entities"].items():
        wanted = tuple(expected) if isinstance(expected, list) else expected
        assert getattr(entities, name) == wanted, name


def test_size_price_phone_and_quantity_in_one_message_are_told_apart() -> None:
    entities = extract_entities("2 pieces size 12 under 2,500, call 0712 345 678")
    assert entities.sizes == ("12",)
    assert entities.max_price == 2500
    assert entities.phone == "+254712345678"
    assert entities.quantity == 2
    assert entities.item_refs == ()


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("size 40 dress", ()),
        ("viatu size 40", ("40",)),
        ("black heels saizi 38", ("38",)),
        ("do you have it in 14?", ("14",)),
        ("it will arrive in 2 days", ()),
        ("size M or L", ("M", "L")),
        ("extra large please", ("XL",)),
        ("uk 10", ("10",)),
        ("nataka M", ("M",)),
        ("I'm paying with m-pesa", ()),
        ("size 60", ()),
    ],
)
def test_sizes_are_read_only_where_a_size_is_meant(text: str, sizes: tuple[str, ...]) -> None:
    assert extract_entities(text).sizes == sizes


@pytest.mark.parametrize(
    "text", ["Apt 4B, 3rd floor, Kimathi street", "House No 12, Jacaranda estate"]
)
def test_house_numbers_and_floors_are_not_item_references(text: str) -> None:
    assert extract_entities(text).item_refs == ()


# --- item references ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("nataka ya kwanza", (1,)),
        ("ya pili", (2,)),
        ("bei ya tatu?", (3,)),
        ("gauni la nne", (4,)),
        ("kiatu cha tano", (5,)),
        ("ntachukua ya mwisho", (-1,)),
        ("hiyo ya kwanza na ya tatu", (1, 3)),
        ("nimekuja kwa mara ya kwanza", ()),
        ("the second one", (2,)),
        ("2nd", (2,)),
        ("the last one", (-1,)),
        ("#7 please", (7,)),
        ("number 3", (3,)),
        ("no. 2", (2,)),
    ],
)
def test_item_references_in_english_and_swahili(text: str, refs: tuple[int, ...]) -> None:
    assert extract_entities(text).item_refs == refs


def test_swahili_ordinal_is_a_reference_but_a_swahili_number_is_a_quantity() -> None:
    assert extract_entities("weka ya tatu").item_refs == (3,)
    assert extract_entities("weka ya tatu").quantity is None
    assert extract_entities("weka tatu").quantity == 3
    assert extract_entities("weka tatu").item_refs == ()


@pytest.mark.parametrize(
    ("text", "quantity"),
    [("x3", 3), ("make it 2", 2), ("mbili", 2), ("2 pieces", 2), ("make it 4 instead of 2", 4)],
)
def test_quantities(text: str, quantity: int) -> None:
    assert extract_entities(text).quantity == quantity


# --- colours ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "ref_color", "colors"),
    [
        ("the red one", "red", ()),
        ("hiyo ya blue", "blue", ()),
        ("ile nyekundu", "red", ()),
        ("does the red one come in blue?", "red", ("blue",)),
        ("nataka dress ya blue", None, ("blue",)),
        ("navy blue suit", None, ("navy",)),
        ("gauni jeusi", None, ("black",)),
        ("viatu vyeupe", None, ("white",)),
    ],
)
def test_colour_that_points_at_an_item_is_kept_apart_from_colours_asked_for(
    text: str, ref_color: str | None, colors: tuple[str, ...]
) -> None:
    entities = extract_entities(text)
    assert (entities.ref_color, entities.colors) == (ref_color, colors)


# --- price ceilings --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "max_price"),
    [
        ("under 3k", 3000),
        ("below 2,500", 2500),
        ("chini ya 2000", 2000),
        ("less than 1.5k", 1500),
        ("budget 4000", 4000),
        ("si zaidi ya 3000", 3000),
        ("chini ya elfu tatu", 3000),
        ("elfu mbili na mia tano kushuka", 2500),
        ("3 thao max", 3000),
        ("ksh 2000 or less", 2000),
        ("I've sent 3500 to your till", None),
        ("the 2500 one", None),
    ],
)
def test_price_ceilings(text: str, max_price: int | None) -> None:
    assert extract_entities(text).max_price == max_price


def test_bei_poa_means_cheap_not_a_yes() -> None:
    entities = extract_entities("bei poa")
    assert (entities.cheap, entities.max_price, entities.yes) == (True, None, False)


# --- yes / no, phone, address ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "yes", "no"),
    [
        ("sawa", True, False),
        ("Ndiyo, tuma", True, False),
        ("hapana", False, True),
        ("not now", False, True),
        ("no. 2", False, False),
        ("la pili", False, False),
    ],
)
def test_yes_and_no(text: str, yes: bool, no: bool) -> None:
    entities = extract_entities(text)
    assert (entities.yes, entities.no) == (yes, no)


def test_a_phone_number_inside_a_sentence_is_normalised() -> None:
    assert extract_entities("namba yangu ni 0712-345-678").phone == "+254712345678"


@pytest.mark.parametrize(
    ("text", "address", "area"),
    [
        ("do you deliver to Kisumu?", None, "Kisumu"),
        ("niko sawa", None, None),
        ("Mombasa Road, near Cabanas", "Mombasa Road, near Cabanas", "Mombasa Road"),
        ("Ngong", "Ngong", "Ngong"),
        ("deliver to Kahawa West pls", "Kahawa West", "Kahawa"),
    ],
)
def test_addresses_and_delivery_areas(text: str, address: str | None, area: str | None) -> None:
    entities = extract_entities(text)
    assert (entities.address, entities.delivery_area) == (address, area)


# --- context ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("awaiting", "intent"),
    [
        ("checkout_confirmation", Intent.CHECKOUT),
        ("payment_phone", Intent.CHECKOUT),
        (None, Intent.OTHER),
    ],
)
def test_a_bare_yes_means_what_the_agent_just_asked(awaiting: str | None, intent: Intent) -> None:
    result = classify("yes", context=ClassifierContext(awaiting=awaiting))
    assert result.intent is intent
    assert result.entities.yes


def test_when_an_address_was_asked_for_any_place_description_is_the_address() -> None:
    result = classify(
        "Behind Naivas, blue gate", context=ClassifierContext(awaiting="delivery_address")
    )
    assert result.intent is Intent.DELIVERY_ADDRESS
    assert result.entities.address == "Behind Naivas, blue gate"


def test_a_clear_request_wins_over_what_the_agent_was_waiting_for() -> None:
    context = ClassifierContext(awaiting="delivery_address")
    assert classify("where is my order", context=context).intent is Intent.ORDER_STATUS


def test_a_phone_number_answers_the_payment_phone_question() -> None:
    result = classify("0712345678", context=ClassifierContext(awaiting="payment_phone"))
    assert result.intent is Intent.CHECKOUT
    assert result.entities.phone == "+254712345678"


def test_a_photo_is_an_image_search_unless_it_comes_with_a_payment_claim() -> None:
    assert classify("", has_media=True).intent is Intent.IMAGE_SEARCH
    assert classify("nimelipa", has_media=True).intent is Intent.PAYMENT_STATUS


def test_a_bare_size_picks_an_item_only_after_items_were_shown() -> None:
    shown = ClassifierContext(has_shown_items=True)
    assert classify("nataka M", context=shown).intent is Intent.ADD_TO_CART
    assert classify("nataka M").intent is not Intent.ADD_TO_CART


def test_classification_carries_entities_language_and_rule_strength() -> None:
    result = classify("how much is #2")
    assert result.intent is Intent.PRODUCT_QUESTION
    assert result.entities == Entities(item_refs=(2,))
    assert result.language is Language.EN
    assert 0.0 < result.confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ok", Language.EN),
        ("sawa", Language.SW),
        ("niaje, do you have dresses", Language.MIXED),
        ("", Language.EN),
        ("nitalipa kesho", Language.SW),
    ],
)
def test_language_detection(text: str, language: Language) -> None:
    assert detect_language(text) is language
