"""Benchmark: how the payment matchers read messages written blind (issue 16).

Three deterministic matchers decide payment messages before or after the intent model: a pasted
M-Pesa SMS or code (`duka.orders.mpesa_sms`), a request to pay by Till or Paybill, and lipa pole
pole words (start, balance, pay more). `tests/data/payments_blind.jsonl` holds messages written
by a writer who never saw these matchers, their tests or the code, labelled with what the
customer meant (`none`: looks alike but is none of them). It is frozen: measured, never tuned on.
Each message is routed as a turn would route it (`route_message`, then `till_flow.reroute`),
with the context the line gives (an order to pay; a running plan).

Run: python -m bench.payment_words
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import print_table, write_results
from duka.orchestrator import layaway_words, till_flow
from duka.orchestrator.routing import route_message
from duka.orchestrator.state import ConversationState

BLIND = Path(__file__).resolve().parents[1] / "tests" / "data" / "payments_blind.jsonl"
LABELS = {
    "paste_code": "paste_code",
    "pay_manually": "pay_by_till",
    "layaway_start": "layaway_start",
    "layaway_balance": "layaway_balance",
    "layaway_pay": "layaway_pay",
}
SHOP = {"settings": {"payment": {"gateway": "daraja"}, "shop": {"till": "5432109"}}}


def read(text: str, context: dict[str, bool]) -> str:
    """The payment reading of one message: a label, or "none"."""
    extra = {layaway_words.PLAN_KEY: "plan"} if context.get("has_plan") else {}
    state = ConversationState(**extra)
    if context.get("has_order"):
        state.order_id = "order"
    routed = route_message(text, False, state, now=datetime.now(UTC))
    routed = till_flow.reroute(routed, text, SHOP, state)
    return LABELS.get(routed.intent, "none")


def evaluate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    by_language: dict[str, list[bool]] = defaultdict(list)
    wrong = []
    for row in rows:
        got = read(row["text"], row.get("context") or {})
        ok = got == row["label"]
        seen[row["label"]] += 1
        right[row["label"]] += ok
        by_language[row["language"]].append(ok)
        if not ok:
            wrong.append({"text": row["text"], "label": row["label"], "read": got})
    total = sum(right.values())
    return {
        "overall": round(total / len(rows), 3),
        "messages": len(rows),
        "by_label": {k: round(right[k] / seen[k], 3) for k in sorted(seen)},
        "by_language": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_language.items())},
        # A payment action taken on a message that meant none of them.
        "false_actions": sum(1 for w in wrong if w["label"] == "none"),
        "misread": wrong,
    }


def main() -> None:
    rows = [json.loads(line) for line in BLIND.read_text().splitlines() if line.strip()]
    result = evaluate(rows)
    print_table(
        "Payment matchers on blind messages",
        ["set", "accuracy"],
        [["overall", result["overall"]]]
        + [[f"label {k}", v] for k, v in result["by_label"].items()]
        + [[f"language {k}", v] for k, v in result["by_language"].items()],
    )
    print(f"false payment actions on 'none' messages: {result['false_actions']}")
    # The misread messages stay out of the results file: the blind set is measured, not read.
    write_results("payment_words", {k: v for k, v in result.items() if k != "misread"})


if __name__ == "__main__":
    main()
