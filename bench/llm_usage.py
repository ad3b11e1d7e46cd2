"""Benchmark 4: model usage over scripted journeys — calls per message, prompt size, cost.

The fake Gemini counts tokens as characters / 4 (Gemini's documented rule of thumb for
English), so prompt sizes are estimates of what the real API would bill.
Targets: <= 0.7 calls per message on average, never > 1; <= 2,500 prompt tokens per call.
Run: python -m bench.llm_usage
"""

from __future__ import annotations

import math
from typing import Any

from bench.common import print_table, running_stack, write_results
from duka_local.sandboxes.gemini_fake import FakeGemini, Reply
from tests.journeys import create_demo_boutique, customer_phone, red_dress_photo

# Gemini 2.5 Flash paid tier, USD per 1M tokens, as published on 2026-11-01.
PRICES_DATED = "2026-11-01"
INPUT_USD_PER_M = 0.30
OUTPUT_USD_PER_M = 2.50
DRAFT = "Draft reply with the correct facts (improve its wording): "

JOURNEYS = [
    [
        "hi",
        "do you have a red dress?",
        "how much is #1?",
        "I want #1 in size M",
        "checkout",
        "Kilimani, Argwings Kodhek Rd",
        "thanks",
    ],
    [
        "Habari",
        "nataka sketi ya kitenge",
        "ya kwanza size L",
        "cart yangu",
        "make it 2",
        "remove it",
        "asante",
    ],
    [
        "niaje, mko na raba?",
        "white sneakers size 38",
        "#1 size 38",
        "nitalipa aje",
        "Rongai stage",
        "did my payment go through?",
    ],
    ["looking for something for a wedding", "under 4k", "does #2 come in L?", "ok bye"],
    ["[photo]", "I want #1 in size M", "where is my order?"],
]


def token_counting_responder(request_json: dict[str, Any]) -> Reply:
    texts = [
        p.get("text", "") for c in request_json.get("contents", []) for p in c.get("parts", [])
    ]
    system = "".join(
        p.get("text", "") for p in (request_json.get("systemInstruction") or {}).get("parts", [])
    )
    prompt = "".join(texts)
    reply = prompt.split(DRAFT, 1)[-1]
    return Reply(
        {"reply_text": reply, "actions": [], "intent": "x", "entities": []},
        prompt_tokens=math.ceil(len(system + prompt) / 4),
        output_tokens=math.ceil((len(reply) + 40) / 4),
    )


def main() -> None:
    import tempfile
    from pathlib import Path

    from duka.db.pool import transaction
    from tests.journeys import say

    photo = red_dress_photo(Path(tempfile.mkdtemp()))
    with (
        FakeGemini(default=token_counting_responder) as gemini,
        running_stack(
            {
                "GEMINI_API_KEY": gemini.api_key,
                "GEMINI_BASE_URL": gemini.base_url,
                "EMBEDDINGS": "local",
            }
        ) as env,
    ):
        shop = create_demo_boutique()
        for journey in JOURNEYS:
            phone = customer_phone(env, shop["number"])
            for text in journey:
                if text == "[photo]":
                    say(phone, "", photo=photo)
                else:
                    say(phone, text)
        with transaction() as conn:
            records = [
                r["metadata"]
                for r in conn.execute(
                    "SELECT metadata FROM messages WHERE business_id = %s AND role = 'agent'"
                    " AND metadata ? 'intent'",
                    (shop["id"],),
                ).fetchall()
            ]
    calls = [int(r.get("llm_calls", 0)) for r in records]
    prompts = [int(r["prompt_tokens"]) for r in records if r.get("prompt_tokens")]
    outputs = [int(r["output_tokens"]) for r in records if r.get("output_tokens")]
    cost = (sum(prompts) * INPUT_USD_PER_M + sum(outputs) * OUTPUT_USD_PER_M) / 1e6
    per_conversation = cost / len(JOURNEYS)
    result = {
        "messages": len(records),
        "llm_calls": sum(calls),
        "calls_per_message": round(sum(calls) / len(records), 2),
        "max_calls_per_message": max(calls),
        "prompt_tokens_max": max(prompts),
        "prompt_tokens_mean": round(sum(prompts) / len(prompts)),
        "output_tokens_mean": round(sum(outputs) / len(outputs)),
        "usd_per_conversation": round(per_conversation, 5),
        "prices": {
            "dated": PRICES_DATED,
            "input_usd_per_m": INPUT_USD_PER_M,
            "output_usd_per_m": OUTPUT_USD_PER_M,
        },
    }
    print_table(
        "LLM usage over the journey suite",
        list(result)[:-1],
        [[result[k] for k in list(result)[:-1]]],
    )
    met = result["calls_per_message"] <= 0.7 and max(calls) <= 1 and max(prompts) <= 2500
    print(
        f"targets (<=0.7 calls/msg, never >1, <=2,500 prompt tokens): {'met' if met else 'MISSED'}"
    )
    print(f"wrote {write_results('llm_usage', {'result': result, 'targets_met': met})}")


if __name__ == "__main__":
    main()
