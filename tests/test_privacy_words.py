"""The privacy matcher: requests for her data or its deletion in English, Swahili and Sheng,
and the near misses it must leave alone (data bundles, the cart). The tuning phrasings are
here. tests/data/privacy_blind.jsonl was written before the matcher by its author;
privacy_blind_2.jsonl by someone who never saw it, measured (25/30), then tuned on;
privacy_blind_3.jsonl likewise, measured and frozen: the held-out figure (README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duka.orchestrator import privacy_words as pw
from duka.orchestrator.state import ConversationState

DATA = Path(__file__).parent / "data"
BLIND_SETS = {
    "privacy_blind.jsonl": 0.85,
    "privacy_blind_2.jsonl": 0.95,  # tuned on after it was measured
    "privacy_blind_3.jsonl": 0.85,  # frozen: never tuned on
}
LABELS = {"export": pw.EXPORT, "deletion": pw.DELETE, "none": None}

TUNING: list[tuple[str, str | None]] = [
    ("I want my data", pw.EXPORT),
    ("send me my data", pw.EXPORT),
    ("Can I get a copy of my personal information?", pw.EXPORT),
    ("nataka data yangu", pw.EXPORT),
    ("nipe data yangu", pw.EXPORT),
    ("nitumie info yangu zote", pw.EXPORT),
    ("naomba taarifa zangu", pw.EXPORT),
    ("show me everything you have about me", pw.EXPORT),
    ("tuma data zangu bana", pw.EXPORT),
    ("delete my data", pw.DELETE),
    ("I want my data deleted", pw.DELETE),
    ("futa data yangu", pw.DELETE),
    ("futa taarifa zangu", pw.DELETE),
    ("mfute namba yangu kwa system", pw.DELETE),
    ("please remove my personal details", pw.DELETE),
    ("ondoa info zangu zote", pw.DELETE),
    ("forget me", pw.DELETE),
    ("erase my chats", pw.DELETE),
    ("delete this from my cart", None),
    ("remove the blue one", None),
    ("my data bundles are over", None),
    ("data yangu imeisha, nitarudi", None),
    ("sina bundles", None),
    ("futa hiyo item", None),
    ("my number is 0712345678", None),
    ("delete my order please", None),
    ("I want the red dress", None),
    ("habari yako", None),
    ("my details for delivery: Westlands", None),
    ("send me the price list", None),
]


@pytest.mark.parametrize(("text", "expected"), TUNING)
def test_tuning_phrasings_are_read_as_written(text: str, expected: str | None) -> None:
    assert pw.request_in(text) == expected


def _blind(name: str) -> list[tuple[str, str | None]]:
    lines = (DATA / name).read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [(row["text"], LABELS[row["label"]]) for row in rows]


@pytest.mark.parametrize(("name", "floor"), BLIND_SETS.items())
def test_blind_phrasings_are_mostly_read_right_and_never_delete_by_mistake(
    name: str, floor: float
) -> None:
    """Measured, not tuned on: the figure is reported in the README; a missed request falls
    back to the owner, but a false deletion request would ask to erase a shopper's data."""
    rows = _blind(name)
    right = [text for text, label in rows if pw.request_in(text) == label]
    false_deletions = [
        text for text, label in rows if label != pw.DELETE and pw.request_in(text) == pw.DELETE
    ]
    assert len(rows) >= 30
    assert len(right) / len(rows) >= floor, sorted({t for t, _ in rows} - set(right))
    assert false_deletions == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes", pw.CONFIRMED),
        ("ndio", pw.CONFIRMED),
        ("yes, delete", pw.CONFIRMED),
        ("No", pw.KEPT),
        ("hapana", pw.KEPT),
        ("no, keep", pw.KEPT),
        ("do you have the red dress?", None),
    ],
)
def test_the_answer_to_delete_your_data(text: str, expected: str | None) -> None:
    asked = ConversationState(awaiting=pw.AWAITING)
    routed = pw.route(text, asked)
    assert (routed[0] if routed else None) == expected


def test_a_yes_with_nothing_asked_deletes_nothing() -> None:
    assert pw.route("yes", ConversationState()) is None
    assert pw.tap_route(pw.TAP_DELETE, ConversationState()) is not None
    assert pw.tap_route(pw.TAP_DELETE, ConversationState())[0] == "tap_stale"  # type: ignore[index]
