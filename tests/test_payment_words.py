"""The payment matchers (a pasted M-Pesa SMS or code, "pay by Till", lipa pole pole words) on
messages written by people who never saw them (bench/payment_words.py reads them the way a turn
routes them). Two sets, each from its own blind writer: `payments_tuning.jsonl`, which the
matchers were improved against, and `payments_blind.jsonl`, frozen and never tuned on: its
hash is pinned here, so a changed set fails instead of silently raising the figure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from bench.payment_words import BLIND, evaluate

TUNING = BLIND.with_name("payments_tuning.jsonl")
BLIND_SHA256 = "c79cdd941d40c3d77a57b399149ee96c4454e900774b3e2f0958f4735990ba1b"


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_the_blind_set_is_the_frozen_one():
    assert hashlib.sha256(BLIND.read_bytes()).hexdigest() == BLIND_SHA256


def test_blind_messages_are_read_as_meant_and_never_trigger_a_payment_they_did_not_ask_for():
    result = evaluate(rows(BLIND))

    print(f"blind: {result['overall']} {result['by_label']} {result['by_language']}")
    assert result["false_actions"] == 0
    assert result["overall"] >= 0.85
    assert min(result["by_language"].values()) >= 0.8


def test_the_tuning_messages_stay_read_as_meant():
    result = evaluate(rows(TUNING))

    assert result["false_actions"] == 0
    assert result["overall"] >= 0.95
