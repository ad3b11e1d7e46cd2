"""The sales jobs in the chaos run: follow-ups, back-in-stock alerts and a broadcast, driven by
the scheduler while every job tick is also published several times at once (Cloud Scheduler
and Pub/Sub deliver at least once, so runs overlap) and Twilio fails some sends.

After the chat phase of bench/reliability.py, work is made due the way the following days
would make it: the boutiques follow up at once (delay 0) and their quiet carts are backdated a
few minutes; customers who waited for the sold-out kaftan get it restocked by the owner's
stock edit; the customers who opted in get a broadcast. Checked: every kind sent something,
and no follow-up, alert or broadcast card was queued or sent twice.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

RESTOCK_SKU = "C-K1"  # in the chaos catalogue with none in stock until this phase
RESTOCK = {"M": 2}
JOBS = ("follow_ups", "stock_alerts", "broadcasts")
TICK_COPIES = 3  # each tick published this many times at once: overlapping runs
TICK_SECONDS = 0.5
HAMMER_SECONDS = 12.0
# A message's identity per kind: two messages with one identity are one sent twice.
KINDS = {
    "follow_up": (
        "m.metadata->>'kind' LIKE 'follow_up_%%'",
        "m.conversation_id::text",  # one per quiet spell; the next is 20 hours away
    ),
    "back_in_stock": ("m.metadata->>'kind' = 'back_in_stock'", "m.metadata->>'stock_alert_id'"),
    "broadcast": (
        "m.metadata->>'kind' = 'broadcast'",
        "m.metadata->>'broadcast_id' || m.conversation_id || (m.metadata->>'product_id')",
    ),
}


def arrange(db: psycopg.Connection[dict[str, Any]], shops: list[dict[str, str]]) -> None:
    """Make work due for each job; this process must point at the stack."""
    ids = [s["id"] for s in shops]
    rules = {"cart": {"on": True, "delay_minutes": 0}, "prompt": {"on": True, "delay_minutes": 0}}
    db.execute(
        "UPDATE businesses SET settings = settings || jsonb_build_object('follow_ups', %s::jsonb)"
        " WHERE id = ANY(%s)",
        (Jsonb(rules), ids),
    )
    db.execute(  # the follow-up job looks only at chats quiet for a minute or more
        "UPDATE conversations SET last_customer_message_at = last_customer_message_at"
        " - interval '5 minutes' WHERE business_id = ANY(%s)",
        (ids,),
    )
    for shop in shops:
        chats = db.execute(
            "SELECT id, customer_phone FROM conversations WHERE business_id = %s ORDER BY id",
            (shop["id"],),
        ).fetchall()
        kaftan = db.execute(
            "SELECT id FROM products WHERE business_id = %s AND sku = %s", (shop["id"], RESTOCK_SKU)
        ).fetchone()
        assert kaftan is not None
        for chat in chats[::2]:  # half waited for the kaftan
            db.execute(
                "INSERT INTO stock_alerts (business_id, conversation_id, customer_phone,"
                " product_id, size) VALUES (%s, %s, %s, %s, 'M')",
                (shop["id"], chat["id"], chat["customer_phone"], kaftan["id"]),
            )
        for chat in chats[1::2]:  # the other half subscribed to offers
            db.execute(
                "INSERT INTO consent_events (business_id, customer_phone, kind, source)"
                " VALUES (%s, %s, 'opt_in', 'import')",
                (shop["id"], chat["customer_phone"]),
            )
        _restock_and_broadcast(shop["id"], str(kaftan["id"]))


def _restock_and_broadcast(business_id: str, kaftan_id: str) -> None:
    """What the owner does on the dashboard: the kaftan is back, and new arrivals go out."""
    from duka.broadcasts.audience import Audience
    from duka.broadcasts.store import create
    from duka.db.pool import tenant_transaction
    from duka.orders.reservations import set_size_stock

    with tenant_transaction(business_id) as conn:
        set_size_stock(conn, business_id, kaftan_id, RESTOCK)
        create(
            conn, business_id, title="New arrivals", product_ids=[kaftan_id], audience=Audience()
        )


def hammer(env: dict[str, str], seconds: float = HAMMER_SECONDS) -> dict[str, int]:
    """Publish every job tick several times at once, and fail some Twilio sends, for a while."""
    from duka import publishing

    injected = {"job_ticks": 0, "twilio_faults": 0}
    stop = time.monotonic() + seconds
    with httpx.Client(timeout=10) as http:
        while time.monotonic() < stop:
            ticks = [
                threading.Thread(
                    target=publishing.publish, args=(publishing.SCHEDULED_JOBS, {"job": job})
                )
                for job in JOBS
                for _ in range(TICK_COPIES)
            ]
            for tick in ticks:
                tick.start()
            for tick in ticks:
                tick.join()
            injected["job_ticks"] += len(ticks)
            http.post(  # Twilio takes the next send, then answers 500: the sender retries
                env["TWILIO_API_BASE_URL"] + "/_sandbox/fail_next",
                json={"status": 500, "code": 20500, "accept": True},
            )
            injected["twilio_faults"] += 1
            time.sleep(TICK_SECONDS)
    return injected


def verify(db: psycopg.Connection[dict[str, Any]], shop_ids: list[str]) -> dict[str, Any]:
    """Per kind: messages sent, and how many more than one a single identity got."""
    sent: dict[str, int] = {}
    twice: dict[str, int] = {}
    for kind, (where, identity) in KINDS.items():
        row = db.execute(
            f"SELECT count(*) FILTER (WHERE m.delivery_status = 'sent') AS sent,"
            f" count(*) - count(DISTINCT {identity}) AS twice"
            f" FROM messages m WHERE m.business_id = ANY(%s) AND {where}",
            (shop_ids,),
        ).fetchone()
        assert row is not None
        sent[kind], twice[kind] = int(row["sent"]), int(row["twice"])
    alerts = db.execute(
        "SELECT count(*) FILTER (WHERE sent_at IS NULL AND closed_at IS NULL) AS waiting"
        " FROM stock_alerts WHERE business_id = ANY(%s)",
        (shop_ids,),
    ).fetchone()
    assert alerts is not None
    return {
        "jobs_sent": sent,
        "jobs_sent_twice": twice,
        "alerts_still_waiting": int(alerts["waiting"]),
    }


def connect(env: dict[str, str]) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(env["DATABASE_URL"], autocommit=True, row_factory=dict_row)
