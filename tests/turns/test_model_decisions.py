"""Online, the model decides a reading the rules were not sure of: its decision is validated,
acted on through the same handler, answered from templates, and never the only reason for a
cart change, a prompt or a handover."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from duka.orchestrator import run
from duka.orchestrator.intents import Intent
from duka.orchestrator.model_decision import ModelDecision
from duka.orchestrator.routing import route_message
from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop
from tests.turns.models import FunctionModel, decides, unavailable
from tests.turns.test_named_items import shirt_and_jacket


def unsure(monkeypatch: pytest.MonkeyPatch, reading: str, *alternatives: str) -> None:
    """Make the next readings non-decisive, as `reading` with `alternatives`: the classifier's
    own thresholds move as it learns, so these tests build the reading themselves."""

    def routed(*args: Any, **kwargs: Any) -> Any:
        real = route_message(*args, **kwargs)
        classification = replace(
            real.classification,
            intent=Intent(reading),
            decisive=False,
            alternatives=tuple(Intent(a) for a in alternatives),
        )
        return replace(real, intent=reading, classification=classification)

    monkeypatch.setattr(run, "route_message", routed)


def sure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every reading decisive: the turn's one call is then the reply's (compose.py)."""

    def routed(*args: Any, **kwargs: Any) -> Any:
        real = route_message(*args, **kwargs)
        return replace(real, classification=replace(real.classification, decisive=True))

    monkeypatch.setattr(run, "route_message", routed)


@pytest.fixture()
def shopper(demo: Shop, turn_database: DatabaseUrls) -> Chat:
    """A customer with a Silk Button Shirt (M) and a Denim Jacket (L), added offline."""
    chat = Chat(demo, turn_database)
    shirt_and_jacket(chat)
    return chat


def go_online(chat: Chat, answer: Any) -> FunctionModel:
    model = FunctionModel(answer)
    chat.model = model
    return model


def cart_lines(chat: Chat) -> dict[str, int]:
    items = (chat.conversation()["metadata"].get("cart") or {}).get("items") or []
    return {i["name"]: i["quantity"] for i in items}


def test_an_unclear_quantity_change_is_decided_by_the_model_and_made(
    shopper: Chat, monkeypatch: pytest.MonkeyPatch
):
    model = go_online(shopper, decides({"intent": "change_quantity", "item": "#1", "quantity": 3}))
    unsure(monkeypatch, "other", "change_quantity")
    reply = shopper.say("I need 3 not 2")

    assert "Updated: 3 x Silk Button Shirt (size M)" in reply, reply
    assert cart_lines(shopper) == {"Silk Button Shirt": 3, "Denim Jacket": 1}
    assert len(model.requests) == 1  # the decision was the turn's only call
    assert shopper.last is not None
    assert shopper.last.record["decided_by"] == "model"
    assert shopper.last.record["reply_source"] == "template"


def test_an_unclear_swahili_removal_by_name_is_decided_and_made(
    shopper: Chat, monkeypatch: pytest.MonkeyPatch
):
    shopper.say("habari")
    go_online(shopper, decides({"intent": "remove_from_cart", "item": "denim jacket"}))
    unsure(monkeypatch, "product_search", "remove_from_cart")
    reply = shopper.say("hiyo jaketi ya denim wacha tu")

    assert "Nimetoa 1 x Denim Jacket" in reply, reply
    assert cart_lines(shopper) == {"Silk Button Shirt": 1}


def test_a_model_action_the_rules_did_not_read_is_not_taken(
    shopper: Chat, monkeypatch: pytest.MonkeyPatch
):
    go_online(shopper, decides({"intent": "checkout"}))
    unsure(monkeypatch, "other")
    reply = shopper.say("ok so what now")

    assert "Sent an M-Pesa" not in reply and shopper.orders() == 0
    assert cart_lines(shopper) == {"Silk Button Shirt": 1, "Denim Jacket": 1}
    assert shopper.last is not None
    assert "not a reading of the rules" in shopper.last.record["decision_refused"]


@pytest.mark.parametrize(
    "decision",
    [
        {"intent": "remove_from_cart", "item": "#7"},
        {"intent": "remove_from_cart", "item": "kitenge maxi dress"},
        {"intent": "change_quantity", "item": "#1", "quantity": 500},
        {"intent": "change_quantity", "item": "#1"},
    ],
    ids=["item-not-in-cart", "name-not-in-cart", "absurd-quantity", "no-quantity"],
)
def test_an_invalid_model_decision_is_refused_and_the_cart_is_unchanged(
    shopper: Chat, monkeypatch: pytest.MonkeyPatch, decision: dict[str, Any]
):
    go_online(shopper, decides(decision))
    unsure(monkeypatch, "other", "remove_from_cart", "change_quantity")
    shopper.say("that one, sort it")

    assert cart_lines(shopper) == {"Silk Button Shirt": 1, "Denim Jacket": 1}
    assert shopper.last is not None and shopper.last.record["decision_refused"]


def test_when_the_model_fails_the_rules_path_answers_with_no_second_call(
    shopper: Chat, monkeypatch: pytest.MonkeyPatch
):
    model = go_online(shopper, unavailable("timeout"))
    unsure(monkeypatch, "other", "change_quantity")
    reply = shopper.say("I need 3 not 2")

    assert reply.strip() and cart_lines(shopper) == {"Silk Button Shirt": 1, "Denim Jacket": 1}
    assert len(model.requests) == 1
    assert shopper.last is not None
    assert shopper.last.record["decision_refused"] == "model_timeout"
    assert shopper.last.record["llm_calls"] == 1


def test_a_product_question_decided_by_the_model_keeps_the_list_shown(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
):
    assert "Denim Jacket" in chat.say("denim jacket")
    before = chat.conversation()["metadata"]["shown"]
    go_online(chat, decides({"intent": "product_question", "item": "Denim Jacket"}))
    unsure(monkeypatch, "other", "product_search")
    reply = chat.say("the jean jacket, what is it made of")

    assert reply.startswith("Denim Jacket"), reply
    assert chat.last is not None and chat.last.record["intent"] == "product_question"
    assert chat.conversation()["metadata"]["shown"] == before


def test_an_unsure_search_keeps_its_one_call_for_the_reply(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
):
    """No action is in play, so nothing needs deciding: the search runs and the model words it."""
    model = go_online(chat, decides({"intent": "remove_from_cart", "item": "#1"}))
    unsure(monkeypatch, "product_search", "product_question")
    reply = chat.say("denim jacket")

    assert [r.schema for r in model.requests] != [ModelDecision] and len(model.requests) == 1
    assert reply.startswith("Sawa!") and "Denim Jacket" in reply, reply
