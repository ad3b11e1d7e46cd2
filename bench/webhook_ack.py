"""Benchmark 1: signed POSTs to /webhook/whatsapp — ack latency and requests/s by concurrency.

Target: p99 <= 50 ms at concurrency 8. Run: python -m bench.webhook_ack [--requests N]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

import httpx

from bench.common import Request, latency_under_load, print_table, running_stack, write_results
from tests.journeys import create_demo_boutique, customer_phone


def measure(env: dict[str, str], business: str, concurrency: int, total: int) -> dict[str, float]:
    phones = [customer_phone(env, business) for _ in range(concurrency)]

    def requests_for(i: int) -> Iterable[Request]:
        phone = phones[i % concurrency]
        fields = phone.form(f"do you have a red dress? #{i}")

        def post(client: httpx.Client) -> httpx.Response:
            phone.client = client
            return phone.post(fields)

        yield post

    return latency_under_load(concurrency, total, requests_for)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    # The agent's replies are not measured here; a long burst window keeps them out of the way.
    with running_stack({"BURST_WINDOW_MS": "0"}) as env:
        shop = create_demo_boutique()
        measure(env, shop["number"], 4, 40)  # warm-up: connections, pools, imports
        results = {c: measure(env, shop["number"], c, args.requests) for c in (1, 8, 32)}
    rows = [[c, r["n"], r["p50"], r["p95"], r["p99"], r["rps"]] for c, r in results.items()]
    print_table("Webhook ack (ms)", ["concurrency", "n", "p50", "p95", "p99", "req/s"], rows)
    target_ok = results[8]["p99"] <= 50
    print(f"target p99 <= 50 ms at concurrency 8: {'met' if target_ok else 'MISSED'}")
    path = write_results(
        "webhook_ack", {"results": results, "target_p99_ms_c8": 50, "target_met": target_ok}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
