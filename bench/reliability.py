"""Load and chaos: many customers of many boutiques buying at once, every webhook delivered three
times, faults at the wire, then proof that nothing was lost, doubled or left inconsistent.
Then the sales jobs (follow-ups, back-in-stock alerts, a broadcast) run with every scheduler tick
delivered several times at once (bench/chaos_jobs.py): nothing they send may go twice.

Faults: Twilio answers 500/503/429, or takes a reply and then answers 500 (a run dying after
the send); Pub/Sub redelivers events; PayLink answers a push with 503 (outcome unknown); the
customer pays, declines, cancels, pays with the callback lost (the reconciler settles it) or
pays late. Stock is scarce (3 of each piece), so checkouts also race for the last one.

Checks: every message answered exactly once (or dead-lettered, never lost); no reply sent twice;
no order in an impossible state; stock = initial - paid units - units held by open orders.

CI size (default): 120 messages, 20 customers, 4 boutiques; `--full`: 1,000 / 100 / 10.
Run: python -m bench.reliability [--full] [--seed N]; writes bench/results/reliability.json.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

from bench import chaos_jobs
from bench.common import print_table, write_results
from duka_local.simulator import WhatsAppSimulator

CATALOGUE = """sku,name,description,price,stock,category,colors,sizes,images
C-D1,Blue Floral Midi Dress,Chiffon midi with blue floral print,2500,3,dress,blue;white,S;M;L,
C-D2,Red Bodycon Dress,Knee-length stretch dress,1800,3,dress,red,S;M,
C-S1,Kitenge Pencil Skirt,High-waist kitenge skirt,1600,3,skirt,orange,S;M;L,
C-T1,White Cotton Blouse,Puff sleeve blouse,1400,3,blouse,white,S;M;L,
C-K1,Kikoi Beach Kaftan,Striped kikoi kaftan,2200,0,kaftan,blue,M,
"""
INITIAL_STOCK = 3
SEARCHES = [
    ("blue floral midi dress", "M"),
    ("red bodycon dress", "S"),
    ("kitenge pencil skirt", "L"),
    ("white cotton blouse", "M"),
]
CHATTER = [
    "hi",
    "habari yako",
    "do you have dresses under 3k?",
    "una sketi ya kitenge?",
    "show my cart",
    "👗✨ any new arrivals?",
    "'; DROP TABLE orders; --",
    "how much is #1?",
    "asante sana",
    "thanks, bye",
]
PAYMENTS = ["approve", "approve", "decline", "cancel", "lose_callback", "late"]
TWILIO_FAULTS = [(500, 20500, False), (503, 20503, False), (429, 20429, False), (500, 20500, True)]
QUIET_SECONDS = 5.0  # nothing written for this long: the run is over
CHAOS_ENV = {
    "SWEEP_UNANSWERED_AFTER_SECONDS": "10",  # republish what Pub/Sub lost after 10 s
    "PAYMENT_QUERY_AFTER_SECONDS": "3",  # lost callbacks are settled by the reconciler
    "BURST_WINDOW_MS": "500",
}


def kenyan_number() -> str:
    return "+2547" + "".join(secrets.choice("0123456789") for _ in range(8))


@dataclass(frozen=True)
class Plan:
    messages: int
    customers: int
    businesses: int
    deliveries: int = 3  # every webhook is posted this many times
    twilio_fault_rate: float = 0.15
    redelivery_rate: float = 0.2  # events published twice more, as Pub/Sub redelivery
    push_fault_rate: float = 0.1
    seed: int = 7


CI = Plan(messages=120, customers=20, businesses=4)
FULL = Plan(messages=1000, customers=100, businesses=10)


@dataclass
class Tally:
    webhook_posts: int = 0
    webhook_5xx: int = 0
    pubsub_redeliveries: int = 0
    twilio_faults: int = 0
    push_faults: int = 0
    payments: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, amount: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + amount)

    def paid_by(self, action: str) -> None:
        with self.lock:
            self.payments[action] = self.payments.get(action, 0) + 1


@contextmanager
def chaos_stack(home: Path) -> Iterator[dict[str, str]]:
    """A private stack tuned for the run (fast sweep and reconciler, scheduler every second)."""
    from duka.db.pool import close_pools
    from duka_local.stack.stack import Stack, StackPorts

    stack = Stack(home=home, ports=StackPorts.random(), extra_env=CHAOS_ENV, scheduler_interval=1)
    env = stack.up()
    try:
        yield env
    finally:
        close_pools()
        stack.down()


def create_boutiques(count: int, folder: Path) -> list[dict[str, str]]:
    """Boutiques with the scarce catalogue; this process must point at the stack."""
    from duka.catalog.importer import import_catalogue
    from duka.db.pool import transaction
    from duka.store.businesses import create_business

    csv_path = folder / "chaos_catalogue.csv"
    csv_path.write_text(CATALOGUE)
    shops = []
    for n in range(count):
        number = kenyan_number()
        with transaction() as conn:
            business_id = create_business(conn, name=f"Chaos Boutique {n}", whatsapp_number=number)
        import_catalogue(csv_path, number, wait=True, timeout=120)
        shops.append({"id": business_id, "number": number})
    return shops


def script(rng: random.Random, length: int) -> list[str]:
    """What one customer says: usually a purchase, then chatter, in `length` messages."""
    if length >= 4 and rng.random() < 0.8:
        search, size = rng.choice(SEARCHES)
        purchase = [search, f"I want #1 in size {size}", "checkout", "Deliver to Westlands, Sarit"]
        return purchase + [rng.choice(CHATTER) for _ in range(length - 4)]
    return [rng.choice(CHATTER + [s for s, _ in SEARCHES]) for _ in range(length)]


class Chaos:
    def __init__(self, env: dict[str, str], plan: Plan, shops: list[dict[str, str]]) -> None:
        self.env, self.plan, self.shops = env, plan, shops
        self.tally = Tally()
        self.http = httpx.Client(timeout=30)

    def customer(self, shop: dict[str, str]) -> WhatsAppSimulator:
        return WhatsAppSimulator(
            webhook_base_url=self.env["WEBHOOK_BASE_URL"],
            twilio_api_base_url=self.env["TWILIO_API_BASE_URL"],
            auth_token=self.env["TWILIO_AUTH_TOKEN"],
            account_sid=self.env["TWILIO_ACCOUNT_SID"],
            business_number=shop["number"],
            customer_number=kenyan_number(),
        )

    def post(self, phone: WhatsAppSimulator, fields: dict[str, str]) -> None:
        """Like Twilio: retried while the webhook answers 5xx."""
        for _ in range(20):
            self.tally.add("webhook_posts")
            if phone.post(fields).status_code < 500:
                return
            self.tally.add("webhook_5xx")
            time.sleep(0.5)

    def say(self, rng: random.Random, phone: WhatsAppSimulator, text: str) -> None:
        if rng.random() < self.plan.twilio_fault_rate:
            status, code, accept = rng.choice(TWILIO_FAULTS)
            self.http.post(
                self.env["TWILIO_API_BASE_URL"] + "/_sandbox/fail_next",
                json={
                    "status": status,
                    "code": code,
                    "to": phone.customer_number,
                    "accept": accept,
                },
            )
            self.tally.add("twilio_faults")
        fields = phone.form(text)
        duplicates = [
            threading.Timer(rng.uniform(0, 2.5), self.post, (phone, fields))
            for _ in range(self.plan.deliveries - 1)
        ]
        for timer in duplicates:
            timer.start()
        self.post(phone, fields)
        if rng.random() < self.plan.redelivery_rate:
            self.redeliver(fields["MessageSid"])
        phone.wait_for_replies(count=1, timeout=30, settle=0.2)
        for timer in duplicates:
            timer.join()

    def redeliver(self, sid: str) -> None:
        from duka import publishing

        with psycopg.connect(self.env["DATABASE_URL"], row_factory=dict_row) as db:
            row = db.execute(
                "SELECT business_id, conversation_id, id FROM messages WHERE external_id = %s",
                (sid,),
            ).fetchone()
        if row is None:
            return
        payload = {
            "business_id": str(row["business_id"]),
            "conversation_id": str(row["conversation_id"]),
            "message_id": str(row["id"]),
        }
        for _ in range(2):
            publishing.publish(publishing.INBOUND_MESSAGES, payload)
            self.tally.add("pubsub_redeliveries")

    def pay(self, rng: random.Random, phone: WhatsAppSimulator) -> str | None:
        """The customer answers their newest prompt; returns a push left for later, if any."""
        pushes = [p for p in self.pushes() if p["phone"].lstrip("+") == phone.customer_number[1:]]
        if not pushes or pushes[-1]["status"] != "pending":
            return None
        action = rng.choice(PAYMENTS)
        self.tally.paid_by(action)
        reference = pushes[-1]["checkout_request_id"]
        if action == "late":
            return str(reference)
        lose = action == "lose_callback"
        self.answer(reference, "approve" if lose else action, lose_callback=lose)
        phone.wait_for_replies(count=1, timeout=20 if not lose else 1, settle=0.2)
        return None

    def pushes(self) -> list[dict[str, Any]]:
        return list(
            self.http.get(self.env["PAYLINK_BASE_URL"] + "/_sandbox/pushes").json()["pushes"]
        )

    def answer(self, reference: str, action: str, lose_callback: bool = False) -> None:
        self.http.post(
            f"{self.env['PAYLINK_BASE_URL']}/_sandbox/pushes/{reference}/{action}",
            json={"lose_callback": lose_callback},
        )

    def customer_run(self, index: int, length: int) -> str | None:
        rng = random.Random(self.plan.seed * 1000 + index)
        phone = self.customer(self.shops[index % len(self.shops)])
        late = None
        for text in script(rng, length):
            if text.startswith("Deliver to") and rng.random() < self.plan.push_fault_rate:
                self.http.post(
                    self.env["PAYLINK_BASE_URL"] + "/_sandbox/fail_next", json={"status": 503}
                )
                self.tally.add("push_faults")
            self.say(rng, phone, text)
            if text.startswith("Deliver to"):
                late = self.pay(rng, phone) or late
        return late

    def run(self) -> float:
        per_customer = [self.plan.messages // self.plan.customers] * self.plan.customers
        for i in range(self.plan.messages % self.plan.customers):
            per_customer[i] += 1
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=min(self.plan.customers, 50)) as pool:
            late = list(pool.map(self.customer_run, range(self.plan.customers), per_customer))
        rng = random.Random(self.plan.seed)
        for reference in filter(None, late):
            self.answer(reference, rng.choice(["approve", "decline"]))
        return time.monotonic() - started


def settle(db: psycopg.Connection[dict[str, Any]], shop_ids: list[str], timeout: float) -> None:
    """Wait until nothing is in flight (messages answered, replies sent, payments settled) and
    nothing new has been written for a few seconds (payment notices follow settled orders)."""
    deadline = time.monotonic() + timeout
    quiet_since, last_seen = time.monotonic(), -1
    while time.monotonic() < deadline:
        row = db.execute(
            "SELECT (SELECT count(*) FROM messages WHERE business_id = ANY(%(s)s)"
            "   AND role = 'customer' AND answered_by IS NULL"
            "   AND NOT metadata ? 'dead_lettered_at')"
            " + (SELECT count(*) FROM messages WHERE business_id = ANY(%(s)s)"
            "   AND delivery_status = 'pending')"
            " + (SELECT count(*) FROM orders o JOIN payment_attempts a ON a.order_id = o.id"
            "   AND a.attempt = o.attempt WHERE o.business_id = ANY(%(s)s)"
            "   AND o.status = 'pending' AND a.checkout_request_id IS NOT NULL) AS busy,"
            " (SELECT count(*) FROM messages WHERE business_id = ANY(%(s)s)) AS written",
            {"s": shop_ids},
        ).fetchone()
        assert row is not None
        if row["busy"] or row["written"] != last_seen:
            quiet_since, last_seen = time.monotonic(), row["written"]
        elif time.monotonic() - quiet_since >= QUIET_SECONDS:
            return
        time.sleep(0.5)


def verify(env: dict[str, str], shops: list[dict[str, str]]) -> dict[str, Any]:
    """Everything the run must not have broken, counted."""
    ids = [s["id"] for s in shops]
    with psycopg.connect(env["DATABASE_URL"], autocommit=True, row_factory=dict_row) as db:
        settle(db, ids, timeout=120)
        inbound = _count(db, ids, "role = 'customer'")
        answered = _count(db, ids, "role = 'customer' AND answered_by IS NOT NULL")
        dead = _count(
            db, ids, "role = 'customer' AND answered_by IS NULL AND metadata ? 'dead_lettered_at'"
        )
        replies = db.execute(
            "SELECT m.external_id, m.delivery_status, m.content, c.customer_phone FROM messages m"
            " JOIN conversations c ON c.id = m.conversation_id"
            " WHERE m.business_id = ANY(%(s)s) AND m.role <> 'customer'",
            {"s": ids},
        ).fetchall()
        orders = db.execute(
            "SELECT o.*, (SELECT coalesce(sum(line_total), 0) FROM order_items i"
            "   WHERE i.order_id = o.id) AS items_total,"
            " (SELECT array_agg(DISTINCT r.state) FROM stock_reservations r"
            "   WHERE r.order_id = o.id AND r.attempt = o.attempt) AS states"
            " FROM orders o WHERE o.business_id = ANY(%(s)s)",
            {"s": ids},
        ).fetchall()
        stock = db.execute(
            "SELECT p.id, p.sku, p.stock,"
            " coalesce(sum(r.quantity) FILTER (WHERE r.state = 'committed'), 0) AS sold,"
            " coalesce(sum(r.quantity) FILTER (WHERE r.state = 'reserved'), 0) AS held,"
            " (SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o"
            "   ON o.id = i.order_id WHERE i.product_id = p.id AND o.status = 'paid') AS paid"
            " FROM products p LEFT JOIN stock_reservations r ON r.product_id = p.id"
            " WHERE p.business_id = ANY(%(s)s) GROUP BY p.id",
            {"s": ids},
        ).fetchall()
    sandbox = httpx.get(env["TWILIO_API_BASE_URL"] + "/_sandbox/messages").json()["messages"]
    attempts = httpx.get(env["TWILIO_API_BASE_URL"] + "/_sandbox/attempts").json()["attempts"]
    customers = {r["customer_phone"] for r in replies}
    recorded = [r["external_id"] for r in replies if r["delivery_status"] == "sent"]
    delivered = [m for m in sandbox if m["to"].removeprefix("whatsapp:") in customers]
    return {
        "messages": inbound,
        "answered": answered,
        "dead_lettered": dead,
        "lost": inbound - answered - dead,
        "replies_recorded_sent": len(recorded),
        "replies_delivered": len(delivered),
        "replies_sent_twice": len({m["sid"] for m in delivered} - set(recorded))
        + (len(recorded) - len(set(recorded))),
        # What Twilio holds that no reply recorded as sent: how many copies of it she got, and
        # what became of its message here (to tell a second send from a lost record).
        "sent_twice_examples": [
            {
                "body": m["body"][:60],
                "copies": sum(d["to"] == m["to"] and d["body"] == m["body"] for d in delivered),
                "here": [
                    r["delivery_status"]
                    for r in replies
                    if r["customer_phone"] == m["to"].removeprefix("whatsapp:")
                    and (r["content"] or "")[:40] == m["body"][:40]
                ],
            }
            for m in delivered
            if m["sid"] not in set(recorded)
        ][:5],
        "replies_failed": sum(r["delivery_status"] == "failed" for r in replies),
        "twilio_attempts_failed": sum(
            a["status"] >= 400 for a in attempts if a["to"].removeprefix("whatsapp:") in customers
        ),
        "orders": {s: sum(o["status"] == s for o in orders) for s in _STATUSES},
        "orders_in_impossible_states": [str(o["id"]) for o in orders if not _order_ok(o)],
        "paid_units": sum(int(p["paid"]) for p in stock),
        "units_held_by_open_orders": sum(int(p["held"]) for p in stock),
        "stock_mismatches": [
            str(p["id"])
            for p in stock
            if p["stock"] != _initial(p["sku"]) - p["sold"] - p["held"] or p["sold"] != p["paid"]
        ],
    }


def _initial(sku: str) -> int:
    """Stock before any sale: the kaftan's is what the owner restocked in the jobs phase."""
    return sum(chaos_jobs.RESTOCK.values()) if sku == chaos_jobs.RESTOCK_SKU else INITIAL_STOCK


def _count(db: psycopg.Connection[dict[str, Any]], shop_ids: list[str], where: str) -> int:
    row = db.execute(
        f"SELECT count(*) AS n FROM messages WHERE business_id = ANY(%s) AND {where}", (shop_ids,)
    ).fetchone()
    return int(row["n"]) if row else 0


_STATUSES = ("pending", "paid", "failed", "cancelled", "expired")
_RESERVATION_STATE = {"pending": "reserved", "paid": "committed"}


def _order_ok(order: dict[str, Any]) -> bool:
    delivery = int((order["delivery_info"] or {}).get("fee_kes", 0))
    expected = _RESERVATION_STATE.get(order["status"], "released")
    return (
        order["status"] in _STATUSES
        and order["amount"] == order["items_total"] + delivery
        and (order["states"] or []) == [expected]
        and (order["status"] != "paid" or (order["paid_at"] and order["transaction_id"]))
        and not (order["status"] != "paid" and order["fulfillment_status"] != "pending")
    )


def run_chaos(env: dict[str, str], plan: Plan, folder: Path) -> dict[str, Any]:
    """The whole run against a stack this process already points at."""
    shops = create_boutiques(plan.businesses, folder)
    chaos = Chaos(env, plan, shops)
    seconds = chaos.run()
    with chaos_jobs.connect(env) as db:
        chaos_jobs.arrange(db, shops)
    jobs_injected = chaos_jobs.hammer(env)
    checks = verify(env, shops)
    with chaos_jobs.connect(env) as db:
        jobs = chaos_jobs.verify(db, [s["id"] for s in shops])
    return {
        "plan": asdict(plan),
        "seconds": round(seconds, 1),
        "injected": {
            **{k: v for k, v in vars(chaos.tally).items() if k != "lock"},
            **{f"jobs_{k}": v for k, v in jobs_injected.items()},
        },
        "duplicates_suppressed": chaos.tally.webhook_posts
        - chaos.tally.webhook_5xx
        - checks["messages"]
        + chaos.tally.pubsub_redeliveries,
        **checks,
        **jobs,
    }


def report_table(report: dict[str, Any]) -> None:
    print_table(
        "Load and chaos",
        ["sent", "answered", "duplicates suppressed", "retried", "dead-lettered", "lost"],
        [
            [
                report["messages"],
                report["answered"],
                report["duplicates_suppressed"],
                report["twilio_attempts_failed"] + report["injected"]["webhook_5xx"],
                report["dead_lettered"],
                report["lost"],
            ]
        ],
    )
    print_table(
        "Replies, orders and stock",
        ["replies", "sent twice", "orders", "impossible", "paid units", "held", "stock ok"],
        [
            [
                report["replies_delivered"],
                report["replies_sent_twice"],
                sum(report["orders"].values()),
                len(report["orders_in_impossible_states"]),
                report["paid_units"],
                report["units_held_by_open_orders"],
                not report["stock_mismatches"],
            ]
        ],
    )
    print_table(
        "Sales jobs, every tick delivered several times",
        ["kind", "sent", "sent twice"],
        [[k, n, report["jobs_sent_twice"][k]] for k, n in report["jobs_sent"].items()],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1,000 messages / 100 customers")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    base = FULL if args.full else CI
    plan = Plan(**{**asdict(base), "seed": args.seed})
    from duka.config import get_settings

    folder = Path(tempfile.mkdtemp(prefix="duka-chaos-"))
    with chaos_stack(folder / "stack") as env:
        os.environ.update(env)
        get_settings.cache_clear()
        report = run_chaos(env, plan, folder)
    report_table(report)
    print(f"\nwritten: {write_results('reliability', report)}")


if __name__ == "__main__":
    main()
