"""Benchmark: the learned intent model's cost — cold start it adds, and time per message.

Targets (issue 14): adds <= 300 ms to a function's cold start; classify p95 <= 2 ms.
Cold start is measured in fresh interpreters: the time to read the model file, which is all the
model adds (its code is a few lines of the standard library). Per-message time is the whole
`classify` (rules + features + model) over every corpus message, five passes.

Run: python -m bench.nlu
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from bench.common import print_table, summary, write_results
from duka.nlu.model import load_intent_model
from duka.orchestrator.intents import classify
from duka_local.nlu_training import context_of, load_rows

_LOAD = """
import json, sys, time
started = time.perf_counter()
import duka.orchestrator.intents as intents
imported = time.perf_counter()
intents.load_intent_model()
loaded = time.perf_counter()
heavy = sorted(m for m in ("sklearn", "numpy", "torch") if m in sys.modules)
print(json.dumps({"import_ms": (imported - started) * 1000, "load_ms": (loaded - imported) * 1000,
                  "heavy_modules": heavy}))
"""


def cold_starts(runs: int = 7) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _LOAD], capture_output=True, text=True)
        out.check_returncode()
        results.append(json.loads(out.stdout))
    return results


def per_message_ms(passes: int = 5) -> list[float]:
    rows = load_rows()
    load_intent_model()
    timings = []
    for _ in range(passes):
        for row in rows:
            started = time.perf_counter()
            classify(row["text"], has_media=row["has_media"], context=context_of(row))
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    starts = cold_starts()
    load_ms = statistics.median(s["load_ms"] for s in starts)
    heavy = sorted({m for s in starts for m in s["heavy_modules"]})
    timings = per_message_ms()
    table = summary(timings)
    print_table(
        "Intent model",
        ["measure", "value"],
        [
            ["model file read at cold start, median of 7 (ms)", round(load_ms, 1)],
            ["heavy modules imported by the runtime", ", ".join(heavy) or "none"],
            ["classify p50 (ms)", table["p50"]],
            ["classify p95 (ms)", table["p95"]],
            ["classify p99 (ms)", table["p99"]],
            ["messages timed", table["n"]],
        ],
    )
    met = load_ms <= 300 and table["p95"] <= 2.0 and not heavy
    print(f"\nadds <= 300 ms to cold start and p95 <= 2 ms: {'met' if met else 'MISSED'}")
    path = write_results(
        "nlu",
        {
            "cold_start_model_load_ms": round(load_ms, 1),
            "heavy_modules": heavy,
            "classify_ms": table,
            "targets": {"cold_start_added_ms": 300, "classify_p95_ms": 2.0},
            "targets_met": met,
        },
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
