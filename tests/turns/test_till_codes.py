"""Till/Paybill payments in-process: the instructions with the order's reference and amount,
then a pasted M-Pesa SMS or code counted only when the ledger proves it. This tier has no
Daraja: a C2B payment Daraja confirmed is written into the ledger with SQL, and a code nobody
confirmed cannot be checked, so it goes to the owner (the stack journeys check it with
Transaction Status: tests/test_journeys_till.py)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from duka.orders.push import account_reference
from duka_local.stack.database import DatabaseUrls
from tests.turns.chat import Chat, Shop, owner_settings
from tests.turns.test_taps import picked_dress

TILL = "5432109"
DARAJA_TILL = {"payment": {"gateway": "daraja"}, "shop": {"till": TILL}}


@pytest.fixture()
def till_shop(demo: Shop, turn_database: DatabaseUrls) -> Iterator[Shop]:
    with owner_settings(turn_database, demo, DARAJA_TILL):
        yield demo


def admin(chat: Chat) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(chat.db.admin, autocommit=True, row_factory=dict_row)


def ordered_by_till(chat: Chat, ask: str = "can I pay via till instead?") -> dict[str, Any]:
    """A dress in the cart, the address given (this tier's prompt fails), then the Till asked
    for; returns the order it made."""
    picked_dress(chat)
    chat.tap(1)
    chat.press("pay", "Pay with M-Pesa")
    chat.say("Kilimani, Argwings Kodhek Rd")
    chat.say(ask)
    return the_order(chat)


def the_order(chat: Chat) -> dict[str, Any]:
    with admin(chat) as conn:
        order = conn.execute(
            "SELECT o.*, o.expires_at - now() AS open_for FROM orders o"
            " WHERE business_id = %s AND customer_phone = %s ORDER BY created_at DESC LIMIT 1",
            (chat.shop.id, chat.phone),
        ).fetchone()
    assert order is not None, "no order was made"
    return order


def c2b_payment(chat: Chat, receipt: str, amount: Decimal, shortcode: str = TILL) -> None:
    """What Daraja's C2B confirmation stored: the money, with no order yet."""
    with admin(chat) as conn:
        conn.execute(
            "INSERT INTO payments (business_id, gateway, shortcode, receipt, amount, matched_by)"
            " VALUES (%s, 'daraja', %s, %s, %s, 'c2b')",
            (chat.shop.id, shortcode, receipt, amount),
        )


def sms(receipt: str, amount: Decimal) -> str:
    return (
        f"{receipt} Confirmed. Ksh{amount:,.2f} paid to NYOTA BOUTIQUE. on 1/12/26 at 10:03 AM "
        "New M-PESA balance is Ksh1,200.00. Transaction cost, Ksh0.00."
    )


def ledger_order(chat: Chat, receipt: str) -> str | None:
    with admin(chat) as conn:
        row = conn.execute(
            "SELECT order_id FROM payments WHERE business_id = %s AND receipt = %s",
            (chat.shop.id, receipt),
        ).fetchone()
    assert row is not None
    return None if row["order_id"] is None else str(row["order_id"])


def owner_alerts(chat: Chat) -> list[str]:
    assert chat.last is not None
    return [m["text"] for m in chat.last.extra_messages if m["to"] == chat.shop.owner]


def test_asking_for_the_till_makes_the_order_and_gives_reference_and_amount(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    order = ordered_by_till(chat)
    reply = chat.last.text if chat.last else ""

    assert f"Till number {TILL}" in reply
    assert f"order {account_reference(str(order['id']))}" in reply
    assert f"send KES {order['amount']:,.0f} with M-Pesa" in reply
    assert "paste the M-Pesa SMS, or just its code" in reply
    assert order["status"] == "pending"
    assert order["open_for"].total_seconds() > 23 * 3600  # not the prompt's 15 minutes
    with admin(chat) as conn:
        attempts = conn.execute(
            "SELECT gateway, status, checkout_request_id FROM payment_attempts WHERE order_id = %s",
            (order["id"],),
        ).fetchall()
    assert attempts == [{"gateway": "manual", "status": "pending", "checkout_request_id": None}]


def test_swahili_nipe_till_number_gives_the_instructions_in_swahili(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    picked_dress(chat, "nataka gauni ya maua ya bluu")
    chat.tap(1)
    chat.say("nataka kulipa")
    chat.say("niko Rongai stage")
    reply = chat.say("nipe till number")
    order = the_order(chat)

    assert f"Till namba {TILL}" in reply
    assert f"Kulipia oda {account_reference(str(order['id']))}" in reply
    assert "bandika SMS ya M-Pesa" in reply


def test_a_pasted_sms_matching_a_confirmed_till_payment_pays_the_order(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    order = ordered_by_till(chat)
    c2b_payment(chat, "QFT4TURN01", order["amount"])

    reply = chat.say(sms("QFT4TURN01", order["amount"]))

    assert "QFT4TURN01" in reply and "is confirmed for your order" in reply
    assert the_order(chat)["status"] == "paid"
    assert ledger_order(chat, "QFT4TURN01") == str(order["id"])
    with admin(chat) as conn:
        event = conn.execute(
            "SELECT payload->>'event' AS event FROM outbox WHERE payload->>'order_id' = %s",
            (str(order["id"]),),
        ).fetchone()
    assert event == {"event": "paid"}  # the usual "payment received" notice follows


def test_the_same_code_from_another_customer_is_refused_and_the_owner_alerted(
    till_shop: Shop, turn_database: DatabaseUrls
):
    first = Chat(till_shop, turn_database)
    order = ordered_by_till(first)
    c2b_payment(first, "QFT4TURN02", order["amount"])
    first.say("QFT4TURN02")
    second = Chat(till_shop, turn_database)
    ordered_by_till(second)

    reply = second.say(sms("QFT4TURN02", order["amount"]))

    assert "has already been used for another payment" in reply
    assert the_order(second)["status"] == "pending"
    assert ledger_order(first, "QFT4TURN02") == str(order["id"])
    [alert] = owner_alerts(second)
    assert "QFT4TURN02" in alert and "already used" in alert


def test_pasting_the_code_again_for_the_same_order_says_it_is_already_counted(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    order = ordered_by_till(chat)
    c2b_payment(chat, "QFT4TURN03", order["amount"])
    chat.say("QFT4TURN03")

    reply = chat.say("QFT4TURN03")

    assert "is already counted for your order" in reply
    assert owner_alerts(chat) == []


def test_an_sms_whose_amount_differs_from_mpesas_record_is_refused(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    order = ordered_by_till(chat)
    c2b_payment(chat, "QFT4TURN04", Decimal(100))

    reply = chat.say(sms("QFT4TURN04", order["amount"]))  # a doctored SMS

    assert "doesn't match M-Pesa's record" in reply
    assert the_order(chat)["status"] == "pending"
    assert ledger_order(chat, "QFT4TURN04") is None
    assert len(owner_alerts(chat)) == 1


def test_a_code_paid_to_another_shortcode_is_refused(till_shop: Shop, turn_database: DatabaseUrls):
    chat = Chat(till_shop, turn_database)
    order = ordered_by_till(chat)
    c2b_payment(chat, "QFT4TURN05", order["amount"], shortcode="600111")

    reply = chat.say("QFT4TURN05")

    assert "was not paid to this shop's Till or Paybill" in reply
    assert the_order(chat)["status"] == "pending"


def test_a_code_nobody_confirmed_goes_to_the_owner_when_mpesa_cannot_be_asked(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    ordered_by_till(chat)

    reply = chat.say(sms("QFT4TURN06", Decimal(2800)))

    assert "I've sent M-Pesa code QFT4TURN06 to the shop owner" in reply
    assert the_order(chat)["status"] == "pending"
    [alert] = owner_alerts(chat)
    assert "QFT4TURN06" in alert and "confirm it on the order page" in alert


def test_without_daraja_a_pasted_code_is_never_marked_paid(demo: Shop, turn_database):
    paylink_till = {"payment": {"gateway": "paylink"}, "shop": {"till": TILL}}
    with owner_settings(turn_database, demo, paylink_till):
        chat = Chat(demo, turn_database)
        ordered_by_till(chat)

        reply = chat.say("QFT4TURN07")

    assert "to the shop owner, who will confirm your payment" in reply
    assert the_order(chat)["status"] == "pending"
    assert len(owner_alerts(chat)) == 1


def test_after_five_refused_codes_a_customer_cannot_try_more_today(
    till_shop: Shop, turn_database: DatabaseUrls
):
    owner = Chat(till_shop, turn_database)
    paid = ordered_by_till(owner)
    c2b_payment(owner, "QFT4TURN08", paid["amount"])
    owner.say("QFT4TURN08")
    guesser = Chat(till_shop, turn_database)
    ordered_by_till(guesser)
    for _ in range(5):
        assert "already been used" in guesser.say("QFT4TURN08")

    reply = guesser.say("QFT4TURN08")

    assert "can't check more M-Pesa codes" in reply


@pytest.mark.parametrize("text", ["M-Pesa imekataa", "XL", "0712345678"])
def test_ordinary_payment_talk_is_not_taken_for_a_code(
    till_shop: Shop, turn_database: DatabaseUrls, text: str
):
    chat = Chat(till_shop, turn_database)
    chat.say(text)

    assert chat.last is not None and chat.last.record["intent"] != "paste_code"


def test_the_till_number_asked_with_nothing_to_pay_is_a_shop_question(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    reply = chat.say("whats your till number")

    assert f"Till {TILL}" in reply
    assert chat.last is not None and chat.last.record["intent"] == "shop_question"
    assert chat.orders() == 0


def failed_prompt(chat: Chat, swahili: bool = False) -> dict[str, Any]:
    """A dress in the cart, the address given, and the order's M-Pesa prompt failed (this tier
    has no gateway: the order is written as checkout and a failed callback leave it)."""
    if swahili:
        picked_dress(chat, "nataka gauni ya maua ya bluu")
        chat.tap(1)
        chat.say("nataka kulipa")
        chat.say("niko Rongai stage")
    else:
        picked_dress(chat)
        chat.tap(1)
        chat.press("pay", "Pay with M-Pesa")
        chat.say("Kilimani, Argwings Kodhek Rd")
    conversation = chat.conversation()
    with admin(chat) as conn:
        dress = conn.execute(
            "SELECT id, sku, name, price FROM products WHERE business_id = %s AND name = %s",
            (chat.shop.id, "Blue Floral Midi Dress"),
        ).fetchone()
        assert dress is not None
        price = int(dress["price"])
        item = {
            "product_id": str(dress["id"]),
            "sku": dress["sku"],
            "name": dress["name"],
            "size": "S",
            "color": None,
            "quantity": 1,
            "unit_price": price,
            "line_total": price,
        }
        row = conn.execute(
            "INSERT INTO orders (business_id, conversation_id, customer_phone, items, amount,"
            " pay_phone, delivery_info) VALUES (%s, %s, %s, %s, %s, %s, '{}') RETURNING id",
            (chat.shop.id, conversation["id"], chat.phone, Jsonb([item]), price, chat.phone),
        ).fetchone()
        assert row is not None
        order_id = row["id"]
        conn.execute(
            "INSERT INTO order_items (business_id, order_id, product_id, sku, name, size,"
            " quantity, unit_price, line_total) VALUES (%s, %s, %s, %s, %s, 'S', 1, %s, %s)",
            (chat.shop.id, order_id, dress["id"], dress["sku"], dress["name"], price, price),
        )
        conn.execute(
            "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key,"
            " gateway, pay_phone, amount, status) VALUES (%s, %s, 1, %s, 'daraja', %s, %s,"
            " 'failed')",
            (chat.shop.id, order_id, f"key-{order_id}", chat.phone, price),
        )
        conn.execute(
            "UPDATE orders SET status = 'failed', failure_reason = 'cancelled' WHERE id = %s",
            (order_id,),
        )
        metadata = dict(conversation["metadata"])
        metadata["order_id"] = str(order_id)
        metadata["last_delivery"] = metadata.pop("delivery", None)
        conn.execute(
            "UPDATE conversations SET metadata = %s WHERE id = %s",
            (Jsonb(metadata), conversation["id"]),
        )
    return the_order(chat)


def sms_sw(receipt: str, amount: Decimal) -> str:
    return (
        f"{receipt} Imethibitishwa. Ksh{amount:,.2f} imelipwa kwa NYOTA BOUTIQUE. tarehe 1/12/26 "
        "saa 10:03 AM. Salio lako jipya la M-PESA ni Ksh1,200.00."
    )


def as_the_reconciler_left_it(chat: Chat, order_id: str, sql: str) -> None:
    """Change an order the way time and the reconciler would (the order rules' trigger is
    skipped for this one admin statement: an expired order cannot be made any other way here)."""
    with admin(chat) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(sql, (order_id,))


def test_a_code_pasted_after_a_failed_prompt_pays_that_order_without_asking_for_the_till(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    order = failed_prompt(chat)
    c2b_payment(chat, "QFT4TURN21", order["amount"])

    reply = chat.say(sms("QFT4TURN21", order["amount"]))

    assert f"M-Pesa payment QFT4TURN21 of KES {order['amount']:,.0f} is confirmed" in reply
    paid = the_order(chat)
    assert (paid["id"], paid["status"]) == (order["id"], "paid")
    assert ledger_order(chat, "QFT4TURN21") == str(order["id"])
    assert owner_alerts(chat) == []


def test_swahili_code_pasted_after_a_failed_prompt_pays_that_order(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    order = failed_prompt(chat, swahili=True)
    c2b_payment(chat, "QFT4TURN22", order["amount"])

    reply = chat.say(sms_sw("QFT4TURN22", order["amount"]))

    assert f"Malipo ya M-Pesa QFT4TURN22 ya KES {order['amount']:,.0f} yamethibitishwa" in reply
    assert the_order(chat)["status"] == "paid"


def test_a_code_for_an_expired_order_pays_a_copy_at_the_price_she_was_quoted(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    order = failed_prompt(chat)
    as_the_reconciler_left_it(
        chat, order["id"], "UPDATE orders SET status = 'expired' WHERE id = %s"
    )
    c2b_payment(chat, "QFT4TURN23", order["amount"])

    reply = chat.say("QFT4TURN23")

    assert "is confirmed for your order" in reply
    copy = the_order(chat)
    assert copy["id"] != order["id"]
    assert (copy["status"], copy["amount"], copy["items"]) == (
        "paid",
        order["amount"],
        order["items"],
    )
    assert ledger_order(chat, "QFT4TURN23") == str(copy["id"])


def test_a_code_pasted_a_day_after_the_prompt_failed_goes_to_the_owner(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    order = failed_prompt(chat)
    as_the_reconciler_left_it(
        chat,
        order["id"],
        "UPDATE orders SET updated_at = now() - interval '25 hours' WHERE id = %s",
    )
    c2b_payment(chat, "QFT4TURN24", order["amount"])

    reply = chat.say("QFT4TURN24")

    assert "I can't find an unpaid order in this chat" in reply
    assert the_order(chat)["status"] == "failed"
    assert ledger_order(chat, "QFT4TURN24") is None
    [alert] = owner_alerts(chat)
    assert "QFT4TURN24" in alert


def test_a_code_already_used_elsewhere_does_not_reopen_her_failed_order(
    till_shop: Shop, turn_database: DatabaseUrls
):
    first = Chat(till_shop, turn_database)
    paid = ordered_by_till(first)
    c2b_payment(first, "QFT4TURN25", paid["amount"])
    first.say("QFT4TURN25")
    second = Chat(till_shop, turn_database)
    failed_prompt(second)

    reply = second.say("QFT4TURN25")

    assert "has already been used for another payment" in reply
    assert the_order(second)["status"] == "failed"


def test_pay_by_till_before_the_address_gets_the_till_after_it_not_a_prompt(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    picked_dress(chat)
    chat.tap(1)
    asked = chat.say("can I pay by till?")

    reply = chat.say("Kilimani, Argwings Kodhek Rd")
    order = the_order(chat)

    assert "Where should we deliver?" in asked
    assert f"Till number {TILL}" in reply
    assert f"order {account_reference(str(order['id']))}" in reply
    assert order["status"] == "pending"
    with admin(chat) as conn:
        gateways = conn.execute(
            "SELECT gateway FROM payment_attempts WHERE order_id = %s", (order["id"],)
        ).fetchall()
    assert gateways == [{"gateway": "manual"}]  # no M-Pesa prompt was sent


def test_swahili_nipe_till_before_the_address_gets_the_till_in_swahili(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    picked_dress(chat, "nataka gauni ya maua ya bluu")
    chat.tap(1)
    chat.say("nitalipa na till")

    reply = chat.say("niko Rongai stage")

    assert f"Till namba {TILL}" in reply
    assert "bandika SMS ya M-Pesa" in reply
    assert the_order(chat)["status"] == "pending"


def test_tapping_pay_with_mpesa_after_choosing_the_till_sends_the_prompt_instead(
    till_shop: Shop, turn_database: DatabaseUrls
):
    chat = Chat(till_shop, turn_database)
    picked_dress(chat)
    chat.tap(1)
    chat.say("can I pay by till?")
    chat.press("pay", "Pay with M-Pesa")

    reply = chat.say("Kilimani, Argwings Kodhek Rd")

    assert "Till number" not in reply
    assert "M-Pesa" in reply, reply  # the prompt's answer (this tier has no gateway to push)
    assert chat.orders() == 0  # no order was made for the Till


@pytest.mark.parametrize(
    ("ask", "counted", "code"),
    [
        ("what's your till number?", "is counted", "QLP1TURNE"),
        ("nipe till number", "yamehesabiwa", "QLP1TURNS"),
    ],
)
def test_a_till_code_pays_into_a_running_layaway_plan(
    turn_database: DatabaseUrls, demo: Shop, ask: str, counted: str, code: str
):
    from tests.turns.test_layaway import LAYAWAY, running_plan

    with owner_settings(turn_database, demo, {**DARAJA_TILL, **LAYAWAY}):
        chat = Chat(demo, turn_database)
        order_id = running_plan(chat, paid=1000, total=2800)
        asked = chat.say(ask)
        c2b_payment(chat, code + "1", Decimal(800))
        part = chat.say(sms(code + "1", Decimal(800)))
        c2b_payment(chat, code + "2", Decimal(1000))
        rest = chat.say(code + "2")

    assert account_reference(order_id) in asked and "1,800" in asked  # the plan's balance
    assert counted in part and "1,000" in part  # still to pay
    assert ledger_order(chat, code + "1") == ledger_order(chat, code + "2") == order_id
    assert the_order(chat)["status"] == "paid" and code + "2" in rest
