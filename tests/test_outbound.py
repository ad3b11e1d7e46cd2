"""One outbound path: conversation messages are queued, split and sent only by duka.outbound.

The import-graph tests read the source (no stack), so a new caller that bypasses the path, or a
lower layer reaching up into processing.py, fails here at once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from duka import outbound
from duka.store import messages

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (ROOT / "shared", ROOT / "functions")
# The dashboard's sign-in code and staff invite go to an owner's or a helper's phone, not into
# a conversation: they are sent directly, and their failure is the dashboard page's to show.
SENDS_DIRECTLY = {
    "shared/duka/outbound.py",
    "shared/duka/dashboard/codes.py",
    "shared/duka/dashboard/staff_invite.py",
}
QUEUES_DIRECTLY = {"shared/duka/outbound.py"}
IMPORTS_PROCESSING = {"functions/process_message/main.py"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            if ".venv" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def _callers_of(name: str) -> set[str]:
    found = set()
    for module, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called == name:
                    found.add(module)
    return found


def _importers_of_processing() -> set[str]:
    found = set()
    for module, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            if "duka.processing" in names:
                found.add(module)
    return found


def test_only_outbound_the_sign_in_code_and_the_staff_invite_call_twilio_send():
    assert _callers_of("send_whatsapp") == SENDS_DIRECTLY
    assert _callers_of("find_sent") == {"shared/duka/outbound.py"}


def test_only_outbound_stores_a_message_to_send():
    assert _callers_of("insert_outbound_intent") == QUEUES_DIRECTLY


def test_nothing_but_the_process_message_function_imports_processing():
    assert _importers_of_processing() == IMPORTS_PROCESSING


def test_a_short_reply_is_one_message_and_trimmed():
    assert outbound.split_reply("  Habari! Karibu.\n") == ["Habari! Karibu."]


def test_a_long_reply_splits_on_line_breaks_within_the_limit():
    lines = [f"{n}. Blue Floral Midi Dress (M, L) — KES 2,500" for n in range(100)]
    parts = outbound.split_reply("\n".join(lines))
    assert len(parts) > 1
    assert all(len(part) <= outbound.MAX_WHATSAPP_CHARS for part in parts)
    assert [line for part in parts for line in part.split("\n")] == lines


def test_a_long_line_splits_between_words():
    words = ["kitenge"] * 400
    parts = outbound.split_reply(" ".join(words), limit=100)
    assert all(len(part) <= 100 for part in parts)
    assert " ".join(parts).split() == words


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def insert(conn: object, **row: Any) -> str:
        rows.append(row)
        return f"m{len(rows)}"

    monkeypatch.setattr(messages, "insert_outbound_intent", insert)
    return rows


def test_a_queued_long_reply_answers_and_carries_its_media_and_metadata_once(stored):
    first_id = outbound.queue_reply(
        None,  # type: ignore[arg-type]  # the repository is replaced
        business_id="b",
        conversation_id="c",
        text="\n".join(["x" * 1000] * 3),
        answers=["in1", "in2"],
        media_urls=["https://img/1.jpg"],
        metadata={"intent": "search"},
    )
    assert first_id == "m1"
    assert [len(row["content"]) for row in stored] == [1000, 1000, 1000]
    assert [row["answers"] for row in stored] == [["in1", "in2"], (), ()]
    assert [row["media_urls"] for row in stored] == [["https://img/1.jpg"], (), ()]
    assert [row["metadata"] for row in stored] == [{"intent": "search"}, {}, {}]
    assert {row["role"] for row in stored} == {"agent"}


def test_a_message_to_another_number_keeps_its_address_on_every_part(stored):
    outbound.queue_reply(
        None,  # type: ignore[arg-type]
        business_id="b",
        conversation_id="c",
        text="\n".join(["y" * 1000] * 2),
        role="system",
        to="+254700000001",
    )
    assert [row["metadata"] for row in stored] == [{"to": "+254700000001"}] * 2
    assert [row["answers"] for row in stored] == [(), ()]
