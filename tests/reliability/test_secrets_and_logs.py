"""Guarantee 8: no secret, PIN, card number or full phone number in any log line, and no secret
in any reply. Traffic that carries all of them is sent, then every log file is scanned."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from duka.logs import mask_phone_numbers, redact, scrub_secrets
from duka_local.stack.stack import (
    LOCAL_DASHBOARD_SESSION_KEY,
    LOCAL_PAYMENT_ENV,
    LOCAL_TWILIO_TOKEN,
)
from tests.reliability.support import customer, stack_home

# A full phone number in any spelling a log could carry it (E.164, 254…, 07…, spaced).
FULL_PHONE = re.compile(
    r"(?<![\w*+-])(?:\+?254[\s-]?|0)[17](?:[\s-]?\d){8}(?![\w*])|(?<![\w*])\+\d{11,14}(?![\w*])"
)
PIN = "4321"
CARD = "4111 1111 1111 1111"
SECRETS = [*LOCAL_PAYMENT_ENV.values(), LOCAL_TWILIO_TOKEN, LOCAL_DASHBOARD_SESSION_KEY]
SECRETS = [s for s in SECRETS if len(s) >= 8 and s not in ("duka-local",)]


def test_redaction_masks_numbers_keeps_the_customers_own_and_scrubs_secrets(monkeypatch):
    monkeypatch.setenv("DARAJA_CALLBACK_TOKEN", "a-long-callback-token")
    text = (
        "to whatsapp:+254712345678, 0722 123 456 and 254733111222; "
        "/webhook/daraja/callback/a-long-callback-token; Authorization: Bearer abc.def.ghi; "
        "/webhook/daraja/callback/4f0c9e2a-1b7d-4c55-9a8e-2d1f3b6a7c90/0b1c2d3e4f5a6b7c; "
        f"my M-Pesa PIN is {PIN}, card {CARD}; postgresql://app:pw-secret-1@/db"
    )

    scrubbed = redact(text)

    assert FULL_PHONE.search(scrubbed) is None, scrubbed
    assert "+254******678" in scrubbed
    for secret in (
        "a-long-callback-token",
        "abc.def.ghi",
        "0b1c2d3e4f5a6b7c",
        PIN,
        CARD,
        "pw-secret-1",
    ):
        assert secret not in scrubbed
    assert mask_phone_numbers("call 0712345678", keep=["+254712345678"]) == "call 0712345678"
    assert scrub_secrets("Order total KES 2,500, PIN to pay") == "Order total KES 2,500, PIN to pay"


@pytest.fixture(scope="module")
def traffic(stack: dict[str, str], shop, db) -> list[str]:
    """Conversations carrying numbers, a PIN, a card, callbacks with the secret path token, a
    message to an unknown number; returns the phone numbers involved."""
    numbers = []
    phone = customer(stack, shop)
    numbers.append(phone.customer_number)
    pay_from = "+254711" + phone.customer_number[-6:]
    numbers.append(pay_from)
    for text in (
        "red bodycon dress",
        "I want #1 in size S",
        f"checkout, pay with 0{pay_from[4:]}",
        "Deliver to Westlands, Sarit Centre",
        f"my M-Pesa PIN is {PIN}, and my card is {CARD}",
        "nataka kuongea na mtu",  # handover: the owner is alerted with the customer's number
    ):
        phone.send(text)
        phone.wait_for_replies(count=1, timeout=30)
    token = LOCAL_PAYMENT_ENV["DARAJA_CALLBACK_TOKEN"]
    httpx.post(f"{stack['WEBHOOK_BASE_URL']}/webhook/daraja/callback/{token}", content=b"{}")
    httpx.post(f"{stack['WEBHOOK_BASE_URL']}/webhook/daraja/callback/wrong-token", content=b"{}")
    stranger = customer(stack, shop)
    stranger.business_number = "+254799000111"
    stranger.post(stranger.form(f"hello from {stranger.customer_number}"))
    numbers += [stranger.customer_number, shop.number, shop.owner]
    return numbers


def log_files(*envs: dict[str, str]) -> list[Path]:
    return [path for env in envs for path in (stack_home(env) / "logs").glob("*.log")]


def test_no_log_line_of_any_process_holds_a_full_phone_number_secret_pin_or_card(stack, traffic):
    files = log_files(stack)
    assert any(f.name == "process_message.log" for f in files)
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            problems = [m.group() for m in FULL_PHONE.finditer(line)]
            problems += [s for s in SECRETS if s in line]
            problems += [x for x in (CARD, f"PIN is {PIN}") if x in line]
            if problems:
                found.append(f"{path.name}:{number}: {problems} in {line[:200]}")
    assert found == []


def test_the_logs_still_say_enough_to_follow_a_message(stack, traffic):
    sent = [
        json.loads(line)
        for path in log_files(stack)
        if path.name == "process_message.log"
        for line in path.read_text().splitlines()
        if '"reply sent"' in line
    ]
    assert sent and all({"business_id", "conversation_id", "message_id"} <= set(e) for e in sent)


def test_no_reply_to_anyone_carries_a_secret_or_the_pin_and_card_a_customer_typed(stack, traffic):
    messages = httpx.get(stack["TWILIO_API_BASE_URL"] + "/_sandbox/messages").json()["messages"]

    leaked = [
        (m["to"], secret)
        for m in messages
        for secret in [*SECRETS, CARD, f"PIN is {PIN}"]
        if secret in m["body"]
    ]
    assert messages and leaked == []
