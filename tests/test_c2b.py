"""Daraja C2B and Transaction Status on the wire: our client against the Daraja sandbox over
real HTTP, and (with the stack) what the callback function stores when Daraja posts to the
boutique's notice URLs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from duka.payments import CallbackRejected, GatewayConfigError
from duka.payments import daraja_c2b as c2b
from duka_local.sandboxes.daraja_c2b_sandbox import c2b_desk
from duka_local.sandboxes.daraja_sandbox import DarajaSandbox
from tests.test_reversal_wire import (
    CREDENTIAL,
    INITIATOR,
    SHORTCODE,
    Notices,
    gateway_for,
    notices,
)

__all__ = ["notices"]  # the recorder fixture, shared with the Reversal wire tests

TILL = "5432109"


@pytest.fixture
def sandbox() -> Iterator[DarajaSandbox]:
    daraja = DarajaSandbox(
        consumer_key="ck",
        consumer_secret="cs",
        shortcode=SHORTCODE,
        passkey="pk",
        initiator_name=INITIATOR,
        security_credential=CREDENTIAL,
    )
    daraja.start()
    yield daraja
    daraja.stop()


def register(sandbox: DarajaSandbox, notices: Notices, shortcode: str = TILL) -> dict[str, Any]:
    return c2b.register_urls(
        gateway_for(sandbox),
        shortcode,
        notices.base_url + "/confirmation",
        notices.base_url + "/validation",
    )


def pay(sandbox: DarajaSandbox, **body: Any) -> dict[str, Any]:
    body = {"shortcode": TILL, "amount": 2800, "phone": "+254712345678"} | body
    response = httpx.post(sandbox.base_url + "/_sandbox/c2b/pay", json=body)
    response.raise_for_status()
    return dict(response.json())


def ask_status(sandbox: DarajaSandbox, notices: Notices, receipt: str, **overrides: Any) -> Any:
    return c2b.query_status(
        gateway_for(sandbox, **overrides),
        receipt=receipt,
        shortcode=TILL,
        identifier_type=c2b.IDENTIFIER_TILL,
        result_url=notices.base_url + "/result",
        timeout_url=notices.base_url + "/timeout",
    )


def test_registering_the_urls_is_accepted_and_a_repeat_replaces_them(sandbox, notices):
    first = register(sandbox, notices)
    again = register(sandbox, notices)

    assert first["ResponseCode"] == again["ResponseCode"] == "0"
    assert c2b_desk(sandbox).urls[TILL] == (
        notices.base_url + "/confirmation",
        notices.base_url + "/validation",
    )


def test_a_till_payment_calls_validation_then_confirmation_with_daraja_fields(sandbox, notices):
    register(sandbox, notices)

    paid = pay(sandbox, name="NYOTA BOUTIQUE")

    received = notices.wait(2)
    assert [path for path, _ in received] == ["/validation", "/confirmation"]
    payment = c2b.read_confirmation(received[1][1])
    assert payment == c2b.C2BPayment(
        receipt=paid["receipt"],
        amount=Decimal(2800),
        shortcode=TILL,
        bill_ref=None,
        msisdn="254712345678",
    )
    assert paid["sms"].startswith(f"{paid['receipt']} Confirmed. Ksh2,800.00 paid to NYOTA")


def test_a_lost_confirmation_leaves_only_the_validation(sandbox, notices):
    register(sandbox, notices)

    pay(sandbox, lose_confirmation=True, account="3f2a9c1b12")

    received = notices.wait(2, timeout=1)
    assert [path for path, _ in received] == ["/validation"]
    assert c2b.read_confirmation(received[0][1]).bill_ref == "3F2A9C1B12"


def test_transaction_status_finds_a_completed_payment(sandbox, notices):
    paid = pay(sandbox, amount=1500)

    refs = ask_status(sandbox, notices, paid["receipt"])

    path, body = notices.wait(1)[0]
    result = c2b.read_status_result(body)
    assert path == "/result"
    assert result.found
    assert (result.receipt, result.amount, result.shortcode) == (
        paid["receipt"],
        Decimal(1500),
        TILL,
    )
    assert (result.conversation_ref, result.originator_ref) == refs


def test_transaction_status_of_an_unknown_code_is_not_found(sandbox, notices):
    ask_status(sandbox, notices, "QZZ9ZZZZ99")

    result = c2b.read_status_result(notices.wait(1)[0][1])
    assert not result.found
    assert result.result_code != "0"


def test_transaction_status_with_the_wrong_operator_finds_nothing(sandbox, notices):
    paid = pay(sandbox)

    ask_status(sandbox, notices, paid["receipt"], security_credential="stale")

    result = c2b.read_status_result(notices.wait(1)[0][1])
    assert not result.found and result.result_code == "2001"


def test_a_queue_timeout_goes_to_the_timeout_url(sandbox, notices):
    paid = pay(sandbox)
    httpx.post(sandbox.base_url + "/_sandbox/c2b/status_timeout_next").raise_for_status()

    refs = ask_status(sandbox, notices, paid["receipt"])

    path, body = notices.wait(1)[0]
    assert path == "/timeout"
    assert c2b.read_status_timeout(body) == refs


def test_transaction_status_needs_the_operator(sandbox, notices):
    with pytest.raises(GatewayConfigError, match="DARAJA_INITIATOR_NAME"):
        ask_status(sandbox, notices, "QFT4ABCDE1", initiator_name=None)


def test_an_unreadable_confirmation_is_rejected():
    with pytest.raises(CallbackRejected):
        c2b.read_confirmation(b"not json")
    with pytest.raises(CallbackRejected):
        c2b.read_confirmation(json.dumps({"TransID": "QFT4ABCDE1"}).encode())


# --- With the stack: Daraja posting to the boutique's notice URLs ---------------------------


@pytest.fixture
def till_shop(stack: dict[str, str]) -> dict[str, str]:
    from duka.db.pool import transaction
    from duka.store.businesses import create_business
    from tests.conftest import random_kenyan_number

    number = random_kenyan_number()
    settings = {"payment": {"gateway": "daraja"}, "shop": {"till": TILL}}
    with transaction() as conn:
        business_id = create_business(
            conn,
            name="Nyota Boutique",
            whatsapp_number=number,
            phone=random_kenyan_number(),
            settings=settings,
        )
    return {"id": business_id, "number": number}


def confirmation(receipt: str, amount: int = 2800, **fields: Any) -> dict[str, Any]:
    return {
        "TransactionType": "Buy Goods",
        "TransID": receipt,
        "TransTime": "20261201100300",
        "TransAmount": f"{amount}.00",
        "BusinessShortCode": TILL,
        "BillRefNumber": "",
        "InvoiceNumber": "",
        "OrgAccountBalance": "",
        "ThirdPartyTransID": "",
        "MSISDN": "254712345678",
        "FirstName": "Wanjiku",
        "MiddleName": "",
        "LastName": "",
    } | fields


def post_notice(kind: str, business_id: str, body: dict[str, Any], token: str | None = None):
    from duka.orders.daraja_notices import notice_url

    url = notice_url(kind, business_id)
    if token is not None:
        url = url.rsplit("/", 1)[0] + "/" + token
    return httpx.post(url, json=body, timeout=30)


def ledger_rows(admin_db: Any, business_id: str, receipt: str) -> list[dict[str, Any]]:
    return admin_db.execute(
        "SELECT order_id, amount, shortcode, gateway, matched_by, payer_phone_masked"
        " FROM payments WHERE business_id = %s AND receipt = %s",
        (business_id, receipt),
    ).fetchall()


def open_order(admin_db: Any, business_id: str, amount: int = 2800) -> str:
    """A pending order waiting for a Till payment, written as manual_pay writes one."""
    order = admin_db.execute(
        "INSERT INTO orders (business_id, customer_phone, amount, pay_phone, payment_gateway,"
        " expires_at) VALUES (%s, '+254712345678', %s, '+254712345678', 'manual',"
        " now() + interval '1 day') RETURNING id",
        (business_id, amount),
    ).fetchone()
    admin_db.execute(
        "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key, gateway,"
        " pay_phone, amount, status) VALUES (%s, %s, 1, %s, 'manual', '+254712345678', %s,"
        " 'pending')",
        (business_id, order["id"], f"manual:{order['id']}", amount),
    )
    return str(order["id"])


def test_every_confirmation_is_stored_once_with_no_order(till_shop, admin_db):
    first = post_notice("c2b-confirmation", till_shop["id"], confirmation("QFT4ABCDE1"))
    again = post_notice("c2b-confirmation", till_shop["id"], confirmation("QFT4ABCDE1"))

    assert first.status_code == again.status_code == 200
    assert first.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert ledger_rows(admin_db, till_shop["id"], "QFT4ABCDE1") == [
        {
            "order_id": None,
            "amount": Decimal("2800.00"),
            "shortcode": TILL,
            "gateway": "daraja",
            "matched_by": "c2b",
            "payer_phone_masked": "+254******678",
        }
    ]


def test_validation_accepts_the_payment(till_shop, admin_db):
    answer = post_notice("c2b-validation", till_shop["id"], confirmation("QFT4ABCDE9"))

    assert answer.status_code == 200
    assert answer.json() == {"ResultCode": "0", "ResultDesc": "Accepted"}
    assert ledger_rows(admin_db, till_shop["id"], "QFT4ABCDE9") == []  # stored on confirmation


def test_a_forged_path_token_stores_nothing(till_shop, admin_db):
    forged = post_notice(
        "c2b-confirmation", till_shop["id"], confirmation("QFT4ABCDE2"), token="0" * 64
    )

    assert forged.status_code == 401
    assert ledger_rows(admin_db, till_shop["id"], "QFT4ABCDE2") == []


def test_a_payment_to_another_shortcode_is_acknowledged_and_not_stored(till_shop, admin_db):
    answer = post_notice(
        "c2b-confirmation", till_shop["id"], confirmation("QFT4ABCDE3", BusinessShortCode="600999")
    )

    assert answer.status_code == 200
    assert ledger_rows(admin_db, till_shop["id"], "QFT4ABCDE3") == []


def test_an_unreadable_confirmation_is_refused(till_shop):
    answer = post_notice("c2b-confirmation", till_shop["id"], {"TransID": "QFT4ABCDE4"})

    assert answer.status_code == 400


def test_an_account_naming_an_open_order_pays_it(till_shop, admin_db):
    from duka.orders.push import account_reference

    order_id = open_order(admin_db, till_shop["id"])
    reference = account_reference(order_id)

    answer = post_notice(
        "c2b-confirmation",
        till_shop["id"],
        confirmation("QFT4ABCDE5", TransactionType="Pay Bill", BillRefNumber=reference.lower()),
    )

    assert answer.status_code == 200
    order = admin_db.execute(
        "SELECT status, transaction_id FROM orders WHERE id = %s", (order_id,)
    ).fetchone()
    assert order == {"status": "paid", "transaction_id": "QFT4ABCDE5"}
    [row] = ledger_rows(admin_db, till_shop["id"], "QFT4ABCDE5")
    assert (str(row["order_id"]), row["matched_by"]) == (order_id, "c2b_account")


# --- With the stack: a code the ledger has not seen, checked with Transaction Status ---------
# The turn's side (code_checks.start_check) runs in this process with the boutique's own
# Daraja credentials, which carry the API operator; M-Pesa's answer goes to the stack's
# callback function, which decides the claim, tells the customer and alerts the owner.


@pytest.fixture
def checking_shop(
    till_shop: dict[str, str], admin_db: Any, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    from psycopg.types.json import Jsonb

    from duka.orders.gateway_choice import BOUTIQUE_CREDENTIAL_KEYS, boutique_secret_name
    from duka.secrets import env_var_name
    from duka_local.stack.stack import LOCAL_PAYMENT_ENV

    keys = BOUTIQUE_CREDENTIAL_KEYS["daraja"]
    secret = {key: value for key, value in LOCAL_PAYMENT_ENV.items() if key in keys}
    name = env_var_name(boutique_secret_name(till_shop["id"], "daraja"))
    monkeypatch.setenv(name, json.dumps(secret))
    settings = {"payment": {"gateway": "daraja", "own_credentials": True}, "shop": {"till": TILL}}
    admin_db.execute(
        "UPDATE businesses SET settings = %s WHERE id = %s", (Jsonb(settings), till_shop["id"])
    )
    return till_shop


def pasted_code(
    shop: dict[str, str], admin_db: Any, text: str, amount: int = 2800
) -> tuple[str, str, Any]:
    """A customer with an open order pastes `text`; returns (order id, her phone, verdict)."""
    from duka.db.pool import tenant_transaction
    from duka.orders import code_checks
    from duka.orders.mpesa_sms import read_pasted_payment
    from duka.store import businesses, conversations
    from tests.conftest import random_kenyan_number

    phone = random_kenyan_number()
    with tenant_transaction(shop["id"]) as conn:
        conversation = conversations.get_or_create_conversation(conn, shop["id"], phone, None)
        business = businesses.get_business(conn, shop["id"])
    order_id = open_order(admin_db, shop["id"], amount)
    admin_db.execute(
        "UPDATE orders SET conversation_id = %s, customer_phone = %s WHERE id = %s",
        (conversation["id"], phone, order_id),
    )
    pasted = read_pasted_payment(text)
    assert pasted is not None and business is not None
    verdict = code_checks.start_check(business, str(conversation["id"]), phone, order_id, pasted)
    return order_id, phone, verdict


def decided_claim(admin_db: Any, order_id: str) -> dict[str, Any]:
    from tests.payments_support import wait_until

    def decided() -> dict[str, Any] | None:
        return admin_db.execute(
            "SELECT status, reason FROM payment_claims WHERE order_id = %s"
            " AND status <> 'checking'",
            (order_id,),
        ).fetchone()

    claim = wait_until(decided, timeout=30)
    assert claim is not None, "M-Pesa's answer was never applied"
    return dict(claim)


def told(admin_db: Any, phone: str) -> list[str]:
    rows = admin_db.execute(
        "SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.customer_phone = %s AND m.role = 'agent' ORDER BY m.created_at",
        (phone,),
    ).fetchall()
    return [r["content"] for r in rows]


def owner_told(admin_db: Any, phone: str) -> list[str]:
    rows = admin_db.execute(
        "SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.customer_phone = %s AND m.role = 'system' AND m.metadata ? 'to'",
        (phone,),
    ).fetchall()
    return [r["content"] for r in rows]


def test_a_code_with_a_lost_confirmation_is_found_by_transaction_status(checking_shop, admin_db):
    from duka_local.sandbox_cli import pay_till

    paid = pay_till(
        {"DARAJA_BASE_URL": os.environ["DARAJA_BASE_URL"]},
        shortcode=TILL,
        amount_kes=2800,
        phone="+254712345678",
        lose_confirmation=True,
    )
    order_id, _, verdict = pasted_code(checking_shop, admin_db, paid["sms"])

    assert verdict == "checking"
    assert decided_claim(admin_db, order_id) == {"status": "matched", "reason": None}
    order = admin_db.execute("SELECT status FROM orders WHERE id = %s", (order_id,)).fetchone()
    assert order["status"] == "paid"
    [row] = ledger_rows(admin_db, checking_shop["id"], paid["receipt"])
    assert (str(row["order_id"]), row["matched_by"]) == (order_id, "transaction_status")


def test_a_made_up_code_is_not_found_refused_and_the_owner_alerted(checking_shop, admin_db):
    order_id, phone, verdict = pasted_code(checking_shop, admin_db, "QZZ7MADE99")

    assert verdict == "checking"
    assert decided_claim(admin_db, order_id) == {"status": "rejected", "reason": "not_found"}
    order = admin_db.execute("SELECT status FROM orders WHERE id = %s", (order_id,)).fetchone()
    assert order["status"] == "pending"
    assert ledger_rows(admin_db, checking_shop["id"], "QZZ7MADE99") == []
    assert any(
        "M-Pesa has no record of payment QZZ7MADE99" in text for text in told(admin_db, phone)
    )
    assert any("QZZ7MADE99" in text for text in owner_told(admin_db, phone))


def test_when_mpesa_times_out_the_code_goes_to_the_owner(checking_shop, admin_db):
    httpx.post(os.environ["DARAJA_BASE_URL"] + "/_sandbox/c2b/status_timeout_next")
    order_id, phone, _ = pasted_code(checking_shop, admin_db, "QZZ7MADE98")

    assert decided_claim(admin_db, order_id) == {"status": "rejected", "reason": "status_timeout"}
    assert any("to the shop owner" in text for text in told(admin_db, phone))
    order = admin_db.execute("SELECT status FROM orders WHERE id = %s", (order_id,)).fetchone()
    assert order["status"] == "pending"
