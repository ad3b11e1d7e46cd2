"""Outside a 24-hour window only a template may go: payment notices that are not "paid" carry
their own, and owner alerts go as the owner-alert template unless the owner wrote in 24 hours."""

from __future__ import annotations

import time
from typing import Any

import httpx

from duka.whatsapp_templates import TEMPLATES
from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import add_conversation, add_order, sandbox_messages, wait_for_message


def _last_wrote(stack: dict[str, str], phone: str, business: str, hours_ago: float) -> None:
    """WhatsApp's side of the window: the sandbox judges only numbers it has seen write."""
    httpx.post(
        stack["TWILIO_API_BASE_URL"] + "/_sandbox/inbound",
        json={"from": phone, "to": business, "at": time.time() - hours_ago * 3600},
    ).raise_for_status()


def _content_sid(stack: dict[str, str], admin_db: Any, friendly_name: str) -> str:
    row = admin_db.execute(
        "SELECT content_sid FROM whatsapp_contents WHERE account_sid = %s AND friendly_name = %s",
        (stack["TWILIO_ACCOUNT_SID"], friendly_name),
    ).fetchone()
    return str(row["content_sid"])


def test_an_expired_payment_notice_two_days_after_the_last_message_goes_as_its_template(
    stack, shop, admin_db
):
    from duka.orders.notifications import notify_payment_event

    customer = random_kenyan_number()
    # She wrote two days ago: no fresh unanswered message the stack's sweep would answer in
    # free text after the test (outside her window).
    chat = add_conversation(
        admin_db, shop.id, phone=customer, messages=[], metadata={"language": "sw"}
    )
    order = add_order(
        admin_db, shop.id, chat, lines=[(None, "Kitenge Dress", "M", 1, 2500)], status="expired"
    )
    admin_db.execute(
        "UPDATE conversations SET last_customer_message_at = now() - interval '48 hours'"
        " WHERE id = %s",
        (chat,),
    )
    _last_wrote(stack, customer, shop.number, 48)

    notify_payment_event({"business_id": shop.id, "order_id": order})

    [notice] = sandbox_messages(stack, customer)
    variables = {"1": "Nyota Boutique", "2": "KES 2,500"}
    assert notice["content_sid"] == _content_sid(stack, admin_db, "duka_payment_expired_sw")
    assert notice["content_variables"] == variables
    assert notice["body"] == TEMPLATES["payment_expired"].render("sw", variables)
    assert notice["body"].startswith("Oda yako kutoka Nyota Boutique (KES 2,500) imepitwa")
    stored = admin_db.execute(
        "SELECT content, delivery_status FROM messages WHERE conversation_id = %s"
        " AND metadata->>'kind' = 'payment_expired'",
        (chat,),
    ).fetchone()
    assert stored["delivery_status"] == "sent" and stored["content"].startswith("⌛")


def test_owner_alerts_go_as_the_template_unless_the_owner_wrote_in_the_last_24_hours(
    stack, shop, admin_db
):
    from tests.journeys import customer_phone, say

    _last_wrote(stack, shop.owner, shop.number, 48)  # seen, and long ago: free text is refused
    first = customer_phone(stack, shop.number)
    assert "mwenye duka" in say(first, "nataka kuongea na mtu")

    alert = wait_for_message(stack, shop.owner)
    variables = {"1": "a customer wants to talk to a person", "2": first.customer_number}
    assert alert["content_sid"] == _content_sid(stack, admin_db, "duka_owner_alert_en")
    assert alert["content_variables"] == variables
    assert alert["body"] == TEMPLATES["owner_alert"].render("en", variables)

    # The owner writes to the shop's number: their window is open, the full text goes.
    add_conversation(admin_db, shop.id, phone=shop.owner, name="Owner")
    _last_wrote(stack, shop.owner, shop.number, 0)
    second = customer_phone(stack, shop.number)
    say(second, "nataka kuongea na mtu")

    full = wait_for_message(stack, shop.owner, after=1)
    assert full["content_sid"] is None
    assert full["body"].startswith(f"Customer {second.customer_number} wants to talk to a person")
    statuses = admin_db.execute(
        "SELECT delivery_status FROM messages WHERE business_id = %s AND metadata->>'to' = %s",
        (shop.id, shop.owner),
    ).fetchall()
    assert [s["delivery_status"] for s in statuses] == ["sent", "sent"]
