"""Status callbacks: Twilio's signed POSTs to /webhook/whatsapp/status, handled by the real
whatsapp_inbound function — time to answer each, by concurrency.

Every message gets sent → delivered → read (one in ten: sent → failed 63024, which also fails
the message and flags the chat), as Twilio posts them. Run:
python -m bench.status_callbacks [--messages N]
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Iterable
from functools import partial
from typing import Any

import httpx
import psycopg
from twilio.request_validator import RequestValidator

from bench.common import Request, latency_under_load, print_table, running_stack, write_results
from tests.conftest import random_kenyan_number
from tests.journeys import create_demo_boutique

STATUS_PATH = "/webhook/whatsapp/status"
FAILING_EVERY = 10  # one message in ten is not delivered


def sent_messages(
    env: dict[str, str], business: dict[str, str], count: int
) -> list[dict[str, str]]:
    """`count` replies the shop sent, one chat each, with Twilio SIDs (stored directly)."""
    sent = []
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        for _ in range(count):
            customer, sid = random_kenyan_number(), "SM" + secrets.token_hex(16)
            row = conn.execute(
                "INSERT INTO conversations (business_id, customer_phone, last_customer_message_at)"
                " VALUES (%s, %s, now()) RETURNING id",
                (business["id"], customer),
            ).fetchone()
            assert row is not None
            conn.execute(
                "INSERT INTO messages (business_id, conversation_id, role, content,"
                " delivery_status, external_id) VALUES (%s, %s, 'agent', 'Karibu!', 'sent', %s)",
                (business["id"], row[0], sid),
            )
            sent.append({"sid": sid, "to": customer})
    return sent


def callbacks(index: int) -> list[tuple[str, str | None]]:
    if index % FAILING_EVERY == 0:
        return [("sent", None), ("failed", "63024")]
    return [("sent", None), ("delivered", None), ("read", None)]


def measure(
    env: dict[str, str], business: dict[str, str], concurrency: int, total: int
) -> dict[str, Any]:
    url = env["WEBHOOK_BASE_URL"] + STATUS_PATH
    signer = RequestValidator(env["TWILIO_AUTH_TOKEN"])
    messages = sent_messages(env, business, total)

    def requests_for(index: int) -> Iterable[Request]:
        message = messages[index]
        for status, code in callbacks(index):  # a message's statuses arrive in order
            fields = {
                "MessageSid": message["sid"],
                "SmsSid": message["sid"],
                "AccountSid": env["TWILIO_ACCOUNT_SID"],
                "From": f"whatsapp:{business['number']}",
                "To": f"whatsapp:{message['to']}",
                "MessageStatus": status,
                "SmsStatus": status,
                "ApiVersion": "2010-04-01",
                **({"ErrorCode": code} if code else {}),
            }
            headers = {"X-Twilio-Signature": signer.compute_signature(url, fields)}
            yield partial(_post, url, fields, headers)

    return latency_under_load(concurrency, total, requests_for)


def _post(
    url: str, fields: dict[str, str], headers: dict[str, str], client: httpx.Client
) -> httpx.Response:
    return client.post(url, data=fields, headers=headers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=150)
    args = parser.parse_args()
    with running_stack({"BURST_WINDOW_MS": "0"}) as env:
        shop = create_demo_boutique()
        measure(env, shop, 4, 20)  # warm-up: connections, pools, imports
        results = {c: measure(env, shop, c, args.messages) for c in (1, 8)}
    rows = [[c, r["n"], r["p50"], r["p95"], r["p99"], r["rps"]] for c, r in results.items()]
    print_table(
        "Status callback handling (ms)", ["concurrency", "n", "p50", "p95", "p99", "req/s"], rows
    )
    path = write_results(
        "status_callbacks",
        {
            "results": results,
            "callbacks_per_message": "sent, delivered, read (1 in 10: sent, failed 63024)",
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
