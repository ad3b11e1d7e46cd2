"""The funnel page's queries at 100,000 messages for one boutique: p50/p95 per date range.

    .venv/bin/python -m bench.funnel [--messages 100000] [--noise 200000] [--runs 30]

Loads one boutique's 90 days (conversations of 20 messages, half the customer's and half the
agent's replies, some showing products or leaving a cart; orders, prompts, payments, owner
messages and takeovers in the shares a boutique sees) and a noisy neighbour with more messages
than it, into a fresh embedded PostgreSQL with the real migrations, so the real indexes. Then
times the production code (duka.dashboard.funnel_data.funnel) as the application role under RLS,
the way the page runs it. Target: p95 <= 200 ms. Writes bench/results/funnel.json.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from bench.common import print_table, summary, write_results
from bench.search import database
from duka.dashboard.funnel_data import funnel

TARGET_MS = 200.0
RANGES = (7, 30, 90)  # days, ending now
MESSAGES_PER_CHAT = 20


def load(admin: str, business_id: str, messages: int) -> None:
    """One boutique's 90 days, written with set-based SQL (seconds, not minutes)."""
    chats = messages // MESSAGES_PER_CHAT
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO businesses (id, name, whatsapp_number) VALUES (%s, %s, %s)",
            (business_id, "Bench " + business_id[:6], "+2547" + business_id[:8].translate(DIGITS)),
        )
        conn.execute(
            "INSERT INTO conversations (business_id, customer_phone, created_at)"
            " SELECT %s, '+2547' || lpad(n::text, 8, '0'),"
            "   now() - make_interval(secs => (n * 7919) %% (90 * 86400))"
            " FROM generate_series(1, %s) n",
            (business_id, chats),
        )
        # Each chat: 10 customer messages each followed a minute later by the agent's reply;
        # 60%% of chats were shown products, 30%% left a cart.
        conn.execute(
            "INSERT INTO messages (business_id, conversation_id, role, content, metadata,"
            " created_at)"
            " SELECT c.business_id, c.id, CASE WHEN k %% 2 = 0 THEN 'customer' ELSE 'agent' END,"
            "   'bench', CASE WHEN k %% 2 = 1 THEN jsonb_build_object("
            "     'shown', CASE WHEN abs(hashtext(c.id::text)) %% 10 < 6 THEN '[\"p\"]'::jsonb"
            "       ELSE '[]'::jsonb END,"
            "     'cart_lines', CASE WHEN abs(hashtext(c.id::text)) %% 10 < 3 THEN 1 ELSE 0 END)"
            "     ELSE '{}'::jsonb END,"
            "   c.created_at + make_interval(mins => k)"
            " FROM conversations c, generate_series(0, %s - 1) k WHERE c.business_id = %s",
            (MESSAGES_PER_CHAT, business_id),
        )
        # A quarter of the chats open an order; 3 in 4 of those get a prompt, 1 in 2 pay.
        conn.execute(
            "INSERT INTO orders (business_id, conversation_id, customer_phone, amount, status,"
            " paid_at, transaction_id, source, created_at)"
            " SELECT c.business_id, c.id, c.customer_phone, 2500,"
            "   CASE WHEN abs(hashtext(c.id::text || 'p')) %% 2 = 0 THEN 'paid' ELSE 'failed' END,"
            "   CASE WHEN abs(hashtext(c.id::text || 'p')) %% 2 = 0"
            "     THEN c.created_at + interval '15 minutes' END,"
            "   CASE WHEN abs(hashtext(c.id::text || 'p')) %% 2 = 0 THEN 'Q' || left(c.id::text, 9)"
            "     END,"
            "   (ARRAY['organic', 'organic', 'follow_up', 'broadcast', 'back_in_stock',"
            "     'owner_takeover'])[1 + abs(hashtext(c.id::text || 's')) %% 6],"
            "   c.created_at + interval '12 minutes'"
            " FROM conversations c WHERE c.business_id = %s AND abs(hashtext(c.id::text)) %% 4 = 0",
            (business_id,),
        )
        conn.execute(
            "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key,"
            " gateway, pay_phone, amount, checkout_request_id, created_at)"
            " SELECT o.business_id, o.id, 1, o.id::text, 'paylink', o.customer_phone, o.amount,"
            "   'ws_' || o.id, o.created_at + interval '1 minute'"
            " FROM orders o WHERE o.business_id = %s"
            "   AND (o.status = 'paid' OR abs(hashtext(o.id::text)) %% 2 = 0)",
            (business_id,),
        )
        conn.execute(
            "INSERT INTO messages (business_id, conversation_id, role, content, created_at)"
            " SELECT c.business_id, c.id, 'owner', 'Karibu', c.created_at + interval '3 minutes'"
            " FROM conversations c"
            " WHERE c.business_id = %s AND abs(hashtext(c.id::text)) %% 50 = 0",
            (business_id,),
        )
        conn.execute(
            "INSERT INTO sales_touches (business_id, customer_phone, kind, created_at)"
            " SELECT c.business_id, c.customer_phone, 'owner_takeover',"
            "   c.created_at + interval '4 minutes'"
            " FROM conversations c"
            " WHERE c.business_id = %s AND abs(hashtext(c.id::text)) %% 97 = 0",
            (business_id,),
        )
        conn.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps


DIGITS = str.maketrans("abcdef", "123456")


def time_ranges(app: str, business_id: str, runs: int) -> dict[str, dict[str, float]]:
    now = datetime.now(UTC)
    results = {}
    with psycopg.connect(app, row_factory=dict_row) as conn:
        for days in RANGES:
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                with conn.transaction():
                    conn.execute("SELECT set_config('app.business_id', %s, true)", (business_id,))
                    figures = funnel(conn, business_id, now - timedelta(days=days), now)
                timings.append((time.perf_counter() - started) * 1000)
            results[f"{days}_days"] = {
                **summary(timings),
                "chats": figures.segments["all"][0].count,
                "paid": figures.segments["all"][-1].count,
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--noise", type=int, default=200_000, help="the neighbour's messages")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    shop, neighbour = str(uuid.uuid4()), str(uuid.uuid4())
    with database() as (admin, app):
        started = time.perf_counter()
        load(admin, shop, args.messages)
        load(admin, neighbour, args.noise)
        loaded_s = time.perf_counter() - started
        timed = time_ranges(app, shop, args.runs)
    rows = [
        [
            name,
            r["chats"],
            r["paid"],
            r["p50"],
            r["p95"],
            r["p99"],
            "yes" if r["p95"] <= TARGET_MS else "NO",
        ]
        for name, r in timed.items()
    ]
    print_table(
        f"Funnel queries, one boutique with {args.messages:,} messages (neighbour {args.noise:,})",
        ["range", "chats", "paid", "p50 ms", "p95 ms", "p99 ms", f"p95 <= {TARGET_MS:.0f}"],
        rows,
    )
    path = write_results(
        "funnel",
        {
            "messages": args.messages,
            "neighbour_messages": args.noise,
            "runs": args.runs,
            "load_seconds": round(loaded_s, 1),
            "target_p95_ms": TARGET_MS,
            "ranges": timed,
        },
    )
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
