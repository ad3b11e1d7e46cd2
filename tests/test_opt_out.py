"""A customer who said STOP gets nothing proactive, by any path; replies still reach them.

Real stack: the customer's STOP through the signed webhook -> process_message (confirmed once)
-> every proactive path there is: payment notices (paid, failed, flagged, cancelled by the
owner; expired shares their one queueing call), fulfilment notices from the dashboard (shipped,
delivered) -> each is recorded as not sent and shown to the owner, and Twilio receives none.

Not proactive, so not refused: the agent's replies, the rate-limit notice and the STOP/START
confirmations (they answer what the customer just wrote), the owner's takeover replies and
answers to a waiting question (a person answering the customer's own messages), and owner
alerts (sent to the owner, not the customer).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from duka.orders.checkout import CheckoutStatus
from duka.outbound import OPTED_OUT
from tests.dashboard_helpers import (
    OwnerClient,
    add_conversation,
    add_order,
    create_owned_boutique,
    sandbox_messages,
    signed_in_owner,
)
from tests.payments_support import Shop, as_app_role, paylink_success, wait_until

PROACTIVE_KINDS = {
    "payment_paid",
    "order_shipped",
    "order_delivered",
    "payment_failed",
    "payment_flagged",
    "payment_cancelled",
    "suggestion",  # "you may also like" after the paid order
}


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


@pytest.fixture()
def owner(stack, shop: Shop) -> Iterator[OwnerClient]:
    with signed_in_owner(stack, shop.admin, shop.business_id) as client:
        yield client


def conversation_of(shop: Shop, customer: str) -> str:
    row = shop.admin.execute(
        "SELECT id FROM conversations WHERE business_id = %s AND customer_phone = %s",
        (shop.business_id, customer),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def new_order(shop: Shop, conversation_id: str, customer: str) -> str:
    """One Blue Floral Midi Dress (M) for Westlands, with its M-Pesa prompt sent."""
    result = shop.checkout(conversation_id, customer, [("T-D1", 1, "M")])
    assert result.status is CheckoutStatus.STK_SENT
    return str(result.order_id)


def proactive_messages(shop: Shop, conversation_id: str) -> list[dict[str, Any]]:
    return shop.admin.execute(
        "SELECT content, delivery_status, delivery_error, external_id,"
        " coalesce(metadata->>'kind', metadata->>'notice') AS kind FROM messages"
        " WHERE conversation_id = %s AND (metadata->>'proactive')::boolean",
        (conversation_id,),
    ).fetchall()


def kinds_refused(shop: Shop, conversation_id: str) -> set[str]:
    return {
        m["kind"]
        for m in proactive_messages(shop, conversation_id)
        if m["delivery_status"] == "failed" and m["delivery_error"] == OPTED_OUT
    }


def test_every_proactive_path_is_refused_for_a_customer_who_said_stop(shop, phone, owner, stack):
    customer = phone.customer_number
    phone.send("STOP")
    [confirmation] = phone.wait_for_replies(count=1)
    assert "won't send you order updates or offers" in confirmation["body"]
    chat = conversation_of(shop, customer)

    paid = new_order(shop, chat, customer)
    shop.customer_answers(paid, "approve")
    wait_until(lambda: "payment_paid" in kinds_refused(shop, chat))
    owner.post(f"/dashboard/orders/{paid}/fulfilment", {"status": "shipped"})
    owner.post(f"/dashboard/orders/{paid}/fulfilment", {"status": "delivered"})
    failed = new_order(shop, chat, customer)
    shop.customer_answers(failed, "decline")
    wait_until(lambda: "payment_failed" in kinds_refused(shop, chat))
    flagged = new_order(shop, chat, customer)
    push = shop.pushes(flagged)[-1]  # a failed order is tried again: its newest prompt
    assert shop.post_paylink_callback(paylink_success(push, amount=280)).status_code == 200
    wait_until(lambda: "payment_flagged" in kinds_refused(shop, chat))
    owner.post(f"/dashboard/orders/{flagged}/flagged", {"decision": "cancel"})
    wait_until(lambda: kinds_refused(shop, chat) == PROACTIVE_KINDS)

    notices = proactive_messages(shop, chat)
    assert len(notices) == len(PROACTIVE_KINDS)  # each stored once, none sent later
    assert all(m["external_id"] is None for m in notices)
    assert [m["body"] for m in sandbox_messages(stack, customer)] == [confirmation["body"]]
    page = owner.get(f"/dashboard/conversations/{chat}").text
    assert 'data-consent="opt_out"' in page and "Opted out" in page
    assert "only replies to their own messages are sent" in page  # why each notice stopped

    phone.send("Do you have dresses?")
    assert phone.wait_for_answer(), "a direct reply still reaches an opted-out customer"
    assert kinds_refused(shop, chat) == PROACTIVE_KINDS


def test_after_start_the_customer_gets_their_notices_again(shop, phone, owner, stack):
    customer = phone.customer_number
    phone.send("ACHA")
    [stopped] = phone.wait_for_replies(count=1)
    phone.send("ANZA")
    [started] = phone.wait_for_replies(count=1)
    chat = conversation_of(shop, customer)

    paid = new_order(shop, chat, customer)
    shop.customer_answers(paid, "approve")
    notice, suggestion = phone.wait_for_replies(count=2)

    assert "Jibu ANZA" in stopped["body"] and "Umejiunga" in started["body"]
    assert "Unaweza pia kupenda" in suggestion["body"] or "You may also like" in suggestion["body"]
    assert "Payment received" in notice["body"] or "Malipo yamepokelewa" in notice["body"]
    page = owner.get(f"/dashboard/conversations/{chat}").text
    assert 'data-consent="opt_in"' in page and "Subscribed" in page


def test_the_composer_offers_no_template_to_a_customer_who_said_stop(app, stack, admin_db):
    boutique = create_owned_boutique(admin_db)
    chat = add_conversation(admin_db, boutique.id, name="Achieng")
    row = admin_db.execute(
        "UPDATE conversations SET last_customer_message_at = now() - interval '2 days'"
        " WHERE id = %s RETURNING customer_phone",
        (chat,),
    ).fetchone()
    admin_db.execute(
        "INSERT INTO consent_events (business_id, customer_phone, kind, source)"
        " VALUES (%s, %s, 'opt_out', 'chat_keyword')",
        (boutique.id, row["customer_phone"]),
    )
    owner = OwnerClient(app, stack, boutique.owner)
    owner.post(f"/dashboard/conversations/{chat}/takeover")

    page = owner.get(f"/dashboard/conversations/{chat}").text
    answer = owner.post(
        f"/dashboard/conversations/{chat}/reply",
        {"template": "order_dispatched", "var_1": "Nyota Boutique", "var_2": "Kitenge Dress M"},
        follow_redirects=True,
    )

    assert "replied STOP, so no template can be sent" in page and 'name="template"' not in page
    assert "replied STOP, so templates can" in answer.text  # the flash
    stored = admin_db.execute(
        "SELECT count(*) AS n FROM messages WHERE conversation_id = %s AND role = 'owner'",
        (chat,),
    ).fetchone()
    assert stored["n"] == 0 and sandbox_messages(stack, row["customer_phone"]) == []


def test_the_owner_records_a_stop_told_in_person_and_the_notice_is_not_sent(app, stack, admin_db):
    boutique = create_owned_boutique(admin_db)
    chat = add_conversation(admin_db, boutique.id, name="Otieno")
    order = add_order(admin_db, boutique.id, chat, lines=[(None, "Kikoi Shirt", "L", 1, 1800)])
    customer = admin_db.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (chat,)
    ).fetchone()["customer_phone"]
    owner = OwnerClient(app, stack, boutique.owner)

    owner.post(f"/dashboard/conversations/{chat}/consent", {"kind": "opt_out"})
    owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "shipped"})
    stopped = owner.get(f"/dashboard/conversations/{chat}").text
    owner.post(f"/dashboard/conversations/{chat}/consent", {"kind": "opt_in"})
    owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "delivered"})
    started = owner.get(f"/dashboard/conversations/{chat}").text

    events = admin_db.execute(
        "SELECT kind, source FROM consent_events WHERE customer_phone = %s ORDER BY id",
        (customer,),
    ).fetchall()
    assert [(e["kind"], e["source"]) for e in events] == [
        ("opt_out", "dashboard"),
        ("opt_in", "dashboard"),
    ]
    assert "Opted out" in stopped and "recorded in the dashboard" in stopped
    assert "Subscribed" in started
    [delivered] = sandbox_messages(stack, customer)  # the shipped notice was refused
    assert "has been delivered" in delivered["body"]
