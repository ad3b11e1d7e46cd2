"""Benchmark 3: sustained messages/s through the whole pipeline, with zero loss.

Many customers each send messages as fast as the webhook takes them; throughput is messages
answered per second from the first send to the last reply. Every message must be answered
exactly once. Target >= 50 messages/s. Run: python -m bench.throughput [--messages N]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import print_table, running_stack, write_results
from tests.journeys import create_demo_boutique, customer_phone

QUERIES = ["red dress", "kitenge skirt", "black jacket", "white sneakers", "ankara jumpsuit"]


def run(env: dict[str, str], business: str, total: int, customers: int) -> dict[str, float]:
    from duka.db.pool import transaction

    phones = [customer_phone(env, business) for _ in range(customers)]
    started = time.time()

    def send(i: int) -> None:
        phones[i % customers].send(QUERIES[i % len(QUERIES)])

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(total)))
    sent_at = time.time()
    deadline = sent_at + 300
    numbers = [p.customer_number for p in phones]
    answered = 0
    while time.time() < deadline:
        with transaction() as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE m.answered_by IS NOT NULL) AS answered,"
                " count(*) AS total FROM messages m JOIN conversations c"
                " ON c.id = m.conversation_id WHERE m.role = 'customer'"
                " AND c.customer_phone = ANY(%s)",
                (numbers,),
            ).fetchone()
        answered = int(row["answered"])
        if answered >= total:
            break
        time.sleep(0.2)
    finished = time.time()
    with transaction() as conn:
        replies = conn.execute(
            "SELECT count(*) AS n, count(*) FILTER (WHERE m.delivery_status = 'sent') AS sent"
            " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE m.role = 'agent' AND c.customer_phone = ANY(%s)",
            (numbers,),
        ).fetchone()
    return {
        "messages": total,
        "answered": answered,
        "lost": total - answered,
        "replies": int(replies["n"]),
        "replies_sent": int(replies["sent"]),
        "ingest_per_s": round(total / (sent_at - started), 1),
        "answered_per_s": round(answered / (finished - started), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--customers", type=int, default=100)
    args = parser.parse_args()
    results = {}
    for threads, pool in ((8, 8), (16, 16)):
        with running_stack(
            {"THREADS": str(threads), "DB_POOL_MAX": str(pool), "BURST_WINDOW_MS": "0"}
        ) as env:
            shop = create_demo_boutique()
            run(env, shop["number"], 20, 10)  # warm-up
            results[f"threads={threads},pool={pool}"] = run(
                env, shop["number"], args.messages, args.customers
            )
    rows = [
        [k, r["messages"], r["answered"], r["lost"], r["ingest_per_s"], r["answered_per_s"]]
        for k, r in results.items()
    ]
    print_table(
        "Throughput (offline agent)",
        ["config", "sent", "answered", "lost", "ingest/s", "answered/s"],
        rows,
    )
    best = max(r["answered_per_s"] for r in results.values())
    print(f"target >= 50 messages/s: {'met' if best >= 50 else 'MISSED'} (best {best})")
    path = write_results(
        "throughput", {"results": results, "target_per_s": 50, "target_met": best >= 50}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
