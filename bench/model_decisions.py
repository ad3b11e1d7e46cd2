"""Benchmark: online decisions for non-decisive readings, through the real GeminiClient and SDK
against the loopback Gemini fake — how many decisions code accepts or refuses, and the latency
the decision call adds to a turn (wire round trip, SDK, schema parsing and validation).

The fake answers each message with the decision a model might give, wrong ones included
(an item not in the cart, an absurd quantity, an action the rules did not read), so the
refusal paths are exercised; the latency excludes Gemini's own thinking time.
Run: python -m bench.model_decisions [rounds]
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from decimal import Decimal
from typing import Any, cast

from bench.common import print_table, write_results
from duka.llm import GeminiClient
from duka.orchestrator.cart_model import Cart, CartItem
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import ShownProduct
from duka.orchestrator.intents import ClassifierContext, Intent, classify
from duka.orchestrator.model_decision import decide
from duka.orchestrator.shopping import Turn
from duka.orchestrator.state import ConversationState
from duka_local.sandboxes.gemini_fake import FakeGemini, Reply

SHOWN = [
    ShownProduct(id="p1", name="Denim Jacket", price=Decimal(3200), sizes=("M", "L", "XL")),
    ShownProduct(id="p2", name="Silk Button Shirt", price=Decimal(1800), sizes=("S", "M", "L")),
]
CART = Cart(
    items=[
        CartItem(product_id="p2", name="Silk Button Shirt", quantity=2, unit_price=1800, size="M"),
        CartItem(product_id="p1", name="Denim Jacket", quantity=1, unit_price=3200, size="L"),
    ]
)
# (message, the rules' non-decisive reading and alternatives, what the fake model decides)
CASES: list[tuple[str, tuple[str, ...], dict[str, Any]]] = [
    (
        "I need 3 not 2",
        ("other", "change_quantity"),
        {"intent": "change_quantity", "item": "#1", "quantity": 3},
    ),
    (
        "nataka 3 sio 2",
        ("product_search", "change_quantity"),
        {"intent": "change_quantity", "item": "Silk Button Shirt", "quantity": 3},
    ),
    (
        "hiyo jaketi wacha tu",
        ("product_search", "remove_from_cart"),
        {"intent": "remove_from_cart", "item": "denim jacket"},
    ),
    (
        "the jean jacket, what is it made of",
        ("product_search",),
        {"intent": "product_question", "item": "#1"},
    ),
    (
        "do you guys deliver to kisumu",
        ("product_search", "shop_question"),
        {"intent": "shop_question"},
    ),
    ("the thing I got last week is torn", ("product_search",), {"intent": "complaint"}),
    ("ok so what now", ("other",), {"intent": "checkout"}),  # not a reading: refused
    (
        "the black one",
        ("add_to_cart", "product_question"),
        {"intent": "add_to_cart", "item": "#7", "size": "M"},
    ),  # no #7
    (
        "give me loads of the shirt",
        ("other", "change_quantity"),
        {"intent": "change_quantity", "item": "#1", "quantity": 500},
    ),
    (
        "that one in M",
        ("add_to_cart",),
        {"intent": "add_to_cart", "item": "Denim Jacket", "size": "XXS"},
    ),  # no XXS
]


def _deps(model: GeminiClient) -> TurnDeps:
    state = ConversationState(shown=list(SHOWN), cart=CART.model_copy(deep=True))
    business = {"id": "bench", "name": "Bench Boutique", "settings": {}}
    conversation = {"id": "bench-conversation", "customer_phone": "+254700000000"}
    return TurnDeps(cast(Any, None), business, conversation, state, model)


def run(rounds: int) -> dict[str, Any]:
    with FakeGemini(api_key="bench-key") as fake:
        client = GeminiClient(api_key="bench-key", model="gemini-2.5-flash", base_url=fake.base_url)
        context = ClassifierContext(has_cart=True, has_shown_items=True)
        accepted = refused = 0
        latencies: list[float] = []
        reasons: dict[str, int] = {}
        for _ in range(rounds):
            for text, readings, decision in CASES:
                reading = classify(text, context=context)
                classification = replace(
                    reading,
                    intent=Intent(readings[0]),
                    decisive=False,
                    alternatives=tuple(Intent(r) for r in readings[1:]),
                )
                turn = Turn(text, [], [], classification.entities, "en")
                fake.script(Reply(decision))
                started = time.perf_counter()
                decided = decide(_deps(client), turn, readings[0], classification)
                latencies.append((time.perf_counter() - started) * 1000)
                if decided.intent is not None:
                    accepted += 1
                else:
                    refused += 1
                    reason = str(decided.record["decision_refused"])
                    reasons[reason] = reasons.get(reason, 0) + 1
    latencies.sort()
    return {
        "messages": rounds * len(CASES),
        "accepted": accepted,
        "refused": refused,
        "refused_by_reason": reasons,
        "added_ms_p50": round(statistics.median(latencies), 1),
        "added_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1], 1),
    }


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    result = run(rounds)
    print_table("Model decisions over the wire fake", list(result), [list(result.values())])
    write_results("model_decisions", result)


if __name__ == "__main__":
    main()
