"""Journeys with the model on: a second stack whose functions talk to a fake Gemini on loopback.

It shares the first stack's database; only the functions' environment differs. The model's
replies, actions and price checks are tested in-process in tests/turns/test_model_turns.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from duka_local.sandboxes.gemini_fake import FakeGemini, InvalidJson, Reply, ServerError, Slow
from tests.journeys import agent_records, create_demo_boutique, customer_phone, say

DRAFT_MARKER = "Draft reply with the correct facts (improve its wording): "


def echo_draft(request_json: dict[str, Any]) -> Reply:
    """Answer like a well-behaved model: the draft, lightly reworded."""
    text = "".join(
        p.get("text", "") for c in request_json.get("contents", []) for p in c.get("parts", [])
    )
    draft = text.split(DRAFT_MARKER, 1)[-1]
    return Reply(
        {"reply_text": "Sawa! " + draft, "actions": [], "intent": "x", "entities": []},
        prompt_tokens=900,
        output_tokens=120,
    )


def model_reply(text: str, actions: list[dict[str, Any]] | None = None) -> Reply:
    return Reply(
        {"reply_text": text, "actions": actions or [], "intent": "x", "entities": []},
        prompt_tokens=800,
        output_tokens=60,
    )


@pytest.fixture(scope="module")
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini(default=echo_draft) as fake:
        yield fake


@pytest.fixture(scope="module")
def online_stack(stack, gemini, tmp_path_factory) -> Iterator[dict[str, str]]:
    from duka_local.stack.database import DatabaseUrls
    from duka_local.stack.stack import Stack, StackPorts

    second = Stack(
        home=tmp_path_factory.mktemp("duka-online"),
        ports=StackPorts.random(),
        scheduler_interval=0,
        shared_database=DatabaseUrls(admin=stack["DATABASE_URL"], app=stack["APP_DATABASE_URL"]),
        extra_env={
            "GEMINI_API_KEY": gemini.api_key,
            "GEMINI_BASE_URL": gemini.base_url,
            "GEMINI_TIMEOUT_MS": "1000",
            "EMBEDDINGS": "local",
        },
    )
    env = second.up()
    yield env
    second.down()


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, str]:
    return create_demo_boutique()


def generate_calls(gemini: FakeGemini) -> int:
    return len(gemini.requests_for("generateContent"))


def test_search_reply_is_phrased_by_the_model_with_one_call_and_tokens_recorded(
    online_stack, gemini, demo, admin_db
):
    phone = customer_phone(online_stack, demo["number"])
    before = generate_calls(gemini)
    reply = say(phone, "una gauni ya kitenge?")

    assert generate_calls(gemini) == before + 1
    assert reply.startswith("Sawa!") and "Kitenge Maxi Dress - KES 3,200" in reply
    record = agent_records(admin_db, demo["id"])[-1]
    assert record["llm_calls"] == 1 and record["reply_source"] == "model"
    assert record["prompt_tokens"] == 900 and record["output_tokens"] == 120
    prompt = gemini.requests_for("generateContent")[-1]
    assert "Kitenge Maxi Dress | KES 3,200" in prompt.contents_text
    assert "Never invent a" in prompt.system_text


@pytest.mark.parametrize(
    "failure",
    [InvalidJson("{not json"), ServerError(500), Slow(2.5, then=model_reply("late"))],
    ids=["invalid-json", "server-error", "timeout"],
)
def test_model_failure_falls_back_to_the_template_reply(
    online_stack, gemini, demo, admin_db, failure
):
    phone = customer_phone(online_stack, demo["number"])
    gemini.script(failure)
    started = time.monotonic()
    reply = say(phone, "do you have denim jackets?")

    assert "Denim Jacket - KES 3,200" in reply and "Here's what we have" in reply
    assert time.monotonic() - started < 10
    record = agent_records(admin_db, demo["id"])[-1]
    assert record["reply_source"] == "template" and record["llm_calls"] == 1


def test_seed_scenario_with_the_model_reaches_a_paid_order_with_at_most_one_call_per_message(
    online_stack, gemini, demo, admin_db, tmp_path
):
    from tests.journeys import red_dress_photo
    from tests.test_journeys import first_size, pay_with_pin

    phone = customer_phone(online_stack, demo["number"])
    before = generate_calls(gemini)
    found = say(phone, "Do you have this dress?", photo=red_dress_photo(tmp_path))
    say(phone, f"I want #1 in size {first_size(found)}")
    say(phone, "checkout")
    pushed = say(phone, "Deliver to Westlands, Sarit Centre")
    confirmation = pay_with_pin(online_stack, phone, "1234")

    assert "M-Pesa" in pushed and "Payment received" in confirmation
    calls = gemini.requests_for("generateContent")[before:]
    assert len(calls) == 1, [c.contents_text[-300:] for c in calls]  # only the photo turn
    records = agent_records(admin_db, demo["id"])
    assert all(r["llm_calls"] <= 1 for r in records)
