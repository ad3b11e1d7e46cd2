"""Till journeys end to end, offline, against the Daraja sandbox of the running stack, in
English and Swahili: the prompt is cancelled, the customer asks for the Till, pays it from her
phone and pastes the M-Pesa SMS (paid); another customer pastes the same code (refused, the
owner alerted); then she pays KES 100 and pastes the SMS edited to the order's total (refused);
then she pastes a realistic SMS whose code M-Pesa never issued: "checking", Transaction Status
finds nothing, she is told politely and the owner alerted, nothing is paid."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from duka_local.sandboxes.daraja_c2b_sandbox import confirmation_sms, new_receipt
from duka_local.simulator import WhatsAppSimulator
from tests.journeys import create_demo_boutique, customer_phone, say
from tests.test_journeys_resend import ENGLISH, SWAHILI, pushed_order

TILL = "5432109"


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, str]:
    from duka.orders import till_notices

    boutique = create_demo_boutique(
        settings={"payment": {"gateway": "daraja"}, "shop": {"till": TILL}}
    )
    till_notices.register(boutique["id"])  # `duka payments c2b-register`
    # The first message of a fresh stack loads the embedding model: give it time once.
    say(customer_phone(stack, boutique["number"]), "hi", timeout=120)
    return boutique


def cancel_the_prompt(stack: dict[str, str], phone: WhatsAppSimulator) -> str:
    from duka_local.sandbox_cli import answer, pending_prompt

    prompt = pending_prompt(stack, phone.customer_number)
    assert prompt is not None, "no M-Pesa prompt was sent"
    answer(stack, prompt["reference"], "cancel")
    replies = phone.wait_for_replies(count=1, timeout=30, settle=0.5)
    assert replies, "no payment notice"
    return "\n".join(r["body"] for r in replies)


def amount_asked(instructions: str) -> int:
    match = re.search(r"(?:send|tuma) KES ([\d,]+)", instructions)
    assert match, instructions
    return int(match.group(1).replace(",", ""))


def pay_the_till(stack: dict[str, str], phone: WhatsAppSimulator, amount: int, **extra: Any):
    from duka_local.sandbox_cli import pay_till

    return pay_till(
        stack,
        shortcode=TILL,
        amount_kes=amount,
        phone=phone.customer_number,
        name="NYOTA BOUTIQUE",
        **extra,
    )


def said_until(phone: WhatsAppSimulator, text: str, follow: str, timeout: float = 30) -> str:
    """The reply to her message and what follows it until `follow` appears: M-Pesa's verdict or
    the payment notice may arrive with the reply or a moment after it."""
    read = say(phone, text)
    deadline = time.monotonic() + timeout
    while follow not in read and time.monotonic() < deadline:
        replies = phone.wait_for_replies(count=1, timeout=deadline - time.monotonic(), settle=1.0)
        read += "".join("\n" + r["body"] for r in replies)
    assert follow in read, f"{follow!r} never followed: {read!r}"
    return read


def made_up_sms(amount: int, language: str = "en") -> tuple[str, str]:
    """A realistic confirmation SMS for a payment M-Pesa never made: (receipt, SMS)."""
    receipt = new_receipt()
    sms = confirmation_sms(receipt, amount, "NYOTA BOUTIQUE", None, datetime.now(UTC), language)
    return receipt, sms


def order_row(admin_db: Any, business_id: str, customer: str) -> dict[str, Any]:
    row = admin_db.execute(
        "SELECT id, status FROM orders WHERE business_id = %s AND customer_phone = %s"
        " ORDER BY created_at DESC LIMIT 1",
        (business_id, customer),
    ).fetchone()
    assert row is not None
    return dict(row)


def owner_alerts(admin_db: Any, demo: dict[str, str], receipt: str) -> list[str]:
    rows = admin_db.execute(
        "SELECT content FROM messages WHERE business_id = %s AND role = 'system'"
        " AND metadata->>'to' = %s AND content LIKE %s",
        (demo["id"], demo["owner"], f"%{receipt}%"),
    ).fetchall()
    return [r["content"] for r in rows]


def ledger(admin_db: Any, business_id: str, receipt: str) -> list[dict[str, Any]]:
    return admin_db.execute(
        "SELECT order_id, matched_by FROM payments WHERE business_id = %s AND receipt = %s",
        (business_id, receipt),
    ).fetchall()


def test_till_payment_with_a_pasted_sms_then_reused_code_then_fake_and_made_up_sms(
    stack, demo, admin_db
):
    wanjiku = customer_phone(stack, demo["number"])
    pushed_order(wanjiku, ENGLISH)
    cancel_the_prompt(stack, wanjiku)
    instructions = say(wanjiku, "can I pay via till instead?")
    amount = amount_asked(instructions)
    paid = pay_the_till(stack, wanjiku, amount)
    # The first paid order of a fresh stack loads the embedding model (the customer's memory).
    confirmed = notice = said_until(wanjiku, paid["sms"], "Payment received", timeout=120)

    assert f"Till number {TILL}" in instructions
    assert "paste the M-Pesa SMS" in instructions
    assert f"M-Pesa payment {paid['receipt']} of KES {amount:,} is confirmed" in confirmed
    assert "Payment received" in notice
    order = order_row(admin_db, demo["id"], wanjiku.customer_number)
    assert order["status"] == "paid"
    assert ledger(admin_db, demo["id"], paid["receipt"]) == [
        {"order_id": order["id"], "matched_by": "c2b"}
    ]

    akinyi = customer_phone(stack, demo["number"])
    pushed_order(akinyi, ENGLISH)
    cancel_the_prompt(stack, akinyi)
    say(akinyi, "can I pay via till instead?")
    reused = say(akinyi, paid["sms"])

    assert f"M-Pesa code {paid['receipt']} has already been used" in reused
    assert order_row(admin_db, demo["id"], akinyi.customer_number)["status"] == "pending"
    assert len(ledger(admin_db, demo["id"], paid["receipt"])) == 1
    assert any("already used" in alert for alert in owner_alerts(admin_db, demo, paid["receipt"]))

    # She pays KES 100 and edits the SMS to say she paid the whole order.
    small = pay_the_till(stack, akinyi, 100)
    fake = small["sms"].replace("Ksh100.00", f"Ksh{amount:,}.00")
    refused = say(akinyi, fake)

    assert f"the SMS for M-Pesa code {small['receipt']} doesn't match" in refused
    assert order_row(admin_db, demo["id"], akinyi.customer_number)["status"] == "pending"
    assert ledger(admin_db, demo["id"], small["receipt"]) == [
        {"order_id": None, "matched_by": "c2b"}
    ]
    assert owner_alerts(admin_db, demo, small["receipt"])

    # A whole SMS made up: M-Pesa is asked and has no such payment.
    made_up, forged = made_up_sms(amount)
    checking = verdict = said_until(akinyi, forged, "has no record")

    assert f"I'm checking M-Pesa code {made_up}" in checking
    assert f"Sorry, M-Pesa has no record of payment {made_up} to this shop" in verdict
    assert order_row(admin_db, demo["id"], akinyi.customer_number)["status"] == "pending"
    assert ledger(admin_db, demo["id"], made_up) == []
    assert any("M-Pesa has no such payment" in a for a in owner_alerts(admin_db, demo, made_up))


def test_swahili_till_payment_then_reused_code_then_fake_and_made_up_sms(stack, demo, admin_db):
    amina = customer_phone(stack, demo["number"])
    pushed_order(amina, SWAHILI)
    cancel_the_prompt(stack, amina)
    instructions = say(amina, "nipe till number")
    amount = amount_asked(instructions)
    paid = pay_the_till(stack, amina, amount, language="sw")
    confirmed = notice = said_until(amina, paid["sms"], "Malipo yamepokelewa")

    assert f"Till namba {TILL}" in instructions
    assert "bandika SMS ya M-Pesa" in instructions
    assert f"Malipo ya M-Pesa {paid['receipt']} ya KES {amount:,} yamethibitishwa" in confirmed
    assert "Malipo yamepokelewa" in notice
    order = order_row(admin_db, demo["id"], amina.customer_number)
    assert order["status"] == "paid"

    baraka = customer_phone(stack, demo["number"])
    pushed_order(baraka, SWAHILI)
    cancel_the_prompt(stack, baraka)
    say(baraka, "nipe till number")
    reused = say(baraka, paid["receipt"])

    assert f"code ya M-Pesa {paid['receipt']} imeshatumika" in reused
    assert order_row(admin_db, demo["id"], baraka.customer_number)["status"] == "pending"
    assert owner_alerts(admin_db, demo, paid["receipt"])

    small = pay_the_till(stack, baraka, 100, language="sw")
    fake = small["sms"].replace("Ksh100.00", f"Ksh{amount:,}.00")
    refused = say(baraka, fake)

    assert f"SMS ya code ya M-Pesa {small['receipt']} hailingani" in refused
    assert order_row(admin_db, demo["id"], baraka.customer_number)["status"] == "pending"
    assert owner_alerts(admin_db, demo, small["receipt"])

    made_up, forged = made_up_sms(amount, "sw")
    checking = verdict = said_until(baraka, forged, "haina rekodi")

    assert f"Ninaangalia code ya M-Pesa {made_up}" in checking
    assert f"Samahani, M-Pesa haina rekodi ya malipo {made_up} kwa duka hili" in verdict
    assert order_row(admin_db, demo["id"], baraka.customer_number)["status"] == "pending"
    assert ledger(admin_db, demo["id"], made_up) == []
    assert owner_alerts(admin_db, demo, made_up)


def test_paying_the_till_straight_after_a_cancelled_prompt_and_typing_the_code(
    stack, demo, admin_db
):
    """She never asks for the Till: the prompt is cancelled, she pays the Till from her phone,
    Daraja's confirmation is lost, and she types the code in lower case with a space. The
    cancelled order is reopened for it and M-Pesa's Transaction Status finds the payment."""
    njeri = customer_phone(stack, demo["number"])
    pushed_order(njeri, ENGLISH)
    cancel_the_prompt(stack, njeri)
    cancelled = order_row(admin_db, demo["id"], njeri.customer_number)
    total = admin_db.execute("SELECT amount FROM orders WHERE id = %s", (cancelled["id"],))
    amount = int(total.fetchone()["amount"])
    paid = pay_the_till(stack, njeri, amount, lose_confirmation=True)
    typed = f"{paid['receipt'][:4].lower()} {paid['receipt'][4:].lower()}"

    checking = notice = said_until(njeri, typed, "Payment received", timeout=60)

    assert cancelled["status"] == "failed"
    assert f"I'm checking M-Pesa code {paid['receipt']}" in checking
    assert "Payment received" in notice
    order = order_row(admin_db, demo["id"], njeri.customer_number)
    assert (order["id"], order["status"]) == (cancelled["id"], "paid")
    assert ledger(admin_db, demo["id"], paid["receipt"]) == [
        {"order_id": order["id"], "matched_by": "transaction_status"}
    ]
