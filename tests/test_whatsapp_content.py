"""Templates and interactive messages through Twilio's Content API, and the 24-hour window:
inside it free text or a list/buttons, outside it only a template, never free text."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.rest.content.v1.content import ContentList
from twilio.rest.content.v1.content.approval_create import ApprovalCreateList

from duka.whatsapp_templates import TEMPLATES
from duka_local.sandboxes.twilio_sandbox import TwilioSandbox
from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import (
    OwnerClient,
    add_conversation,
    add_order,
    sandbox_messages,
)

ACCOUNT = "AC" + "5" * 32
LIST = {
    "kind": "list",
    "body": "Here is what we have:",
    "button": "See dresses",
    "items": [
        {"id": "show:p1", "title": "Blue Floral Midi Dress", "description": "KES 2,500 · S M L"},
        {"id": "show:p2", "title": "Red Wrap Dress", "description": None},
    ],
}


@pytest.fixture()
def sandbox() -> Iterator[tuple[TwilioSandbox, Client]]:
    """A private sandbox whose 63016 refusals are this test's point, not a suite failure."""
    twilio = TwilioSandbox(ACCOUNT, "token", report_outside_window=False)
    url = twilio.start()
    client = Client(ACCOUNT, "token")
    client.api.base_url = url
    client.content.base_url = url
    yield twilio, client
    twilio.stop()


def _create(client: Client, definition: dict[str, Any]) -> Any:
    return client.content.v1.contents.create(ContentList.ContentCreateRequest(definition))


def test_the_sandbox_speaks_the_content_api_to_the_twilio_sdk(sandbox):
    _, client = sandbox
    dispatched = TEMPLATES["order_dispatched"]
    created = [_create(client, dispatched.definition(lang)) for lang in ("en", "sw")]
    created += [
        _create(client, {**dispatched.definition("en"), "friendly_name": f"x{i}"}) for i in range(3)
    ]
    approval = client.content.v1.contents(created[0].sid).approval_create.create(
        ApprovalCreateList.ContentApprovalRequest(
            {"name": "duka_order_dispatched_en", "category": "UTILITY"}
        )
    )

    listed = list(client.content.v1.contents.list(page_size=2))  # three pages
    fetched = client.content.v1.contents(created[1].sid).fetch()
    status = client.content.v1.contents(created[0].sid).approval_fetch().fetch()

    assert created[0].sid.startswith("HX") and len(created[0].sid) == 34
    assert [c.sid for c in listed] == [c.sid for c in created]
    assert fetched.friendly_name == "duka_order_dispatched_sw" and fetched.language == "sw"
    assert fetched.types == {"twilio/text": {"body": dispatched.bodies["sw"]}}
    assert approval.status == "approved" and status.whatsapp["category"] == "UTILITY"


def test_a_content_sid_is_stored_as_the_text_the_customer_reads(sandbox):
    twilio, client = sandbox
    template = TEMPLATES["order_dispatched"]
    content = _create(client, template.definition("en"))
    variables = {"1": "Nyota Boutique", "2": "Kitenge Dress M ×1"}

    sent = client.messages.create(
        from_="whatsapp:+254711000000",
        to="whatsapp:+254722000000",
        content_sid=content.sid,
        content_variables=json.dumps(variables),
    )

    expected = "Good news! Your order from Nyota Boutique (Kitenge Dress M ×1) is on its way."
    assert sent.body == expected == template.render("en", variables)
    assert twilio.messages[-1]["content_sid"] == content.sid


def test_free_text_or_a_list_outside_the_window_is_refused_with_63016_and_counted(sandbox):
    twilio, client = sandbox
    shop, customer = "+254711000000", "+254722000000"
    picker = _create(
        client,
        {
            "friendly_name": "list",
            "language": "en",
            "types": {
                "twilio/list-picker": {
                    "body": LIST["body"],
                    "button": LIST["button"],
                    "items": [{"id": "a", "item": "Dress", "description": ""}],
                }
            },
        },
    )
    auth = _create(client, TEMPLATES["sign_in_code"].definition("en"))
    client.content.v1.contents(auth.sid).approval_create.create(
        ApprovalCreateList.ContentApprovalRequest({"name": "code", "category": "AUTHENTICATION"})
    )
    twilio.note_inbound(customer, shop, at=time.time() - 48 * 3600)
    send = {"from_": f"whatsapp:{shop}", "to": f"whatsapp:{customer}"}

    refused = []
    for extra in ({"body": "Your order is on its way"}, {"content_sid": picker.sid}):
        with pytest.raises(TwilioRestException) as error:
            client.messages.create(**send, **extra)
        refused.append((error.value.status, error.value.code))
    code = client.messages.create(**send, content_sid=auth.sid, content_variables='{"1": "123"}')

    assert refused == [(400, 63016), (400, 63016)]
    assert [r["body"] for r in twilio.outside_window] == [
        "Your order is on its way",
        "Here is what we have:",
    ]
    assert code.body.startswith("123 is your verification code.")


def test_content_over_twilios_limits_is_refused(sandbox):
    _, client = sandbox
    items = [{"id": f"i{n}", "item": f"Item {n}", "description": ""} for n in range(11)]
    with pytest.raises(TwilioRestException) as error:
        _create(
            client,
            {
                "friendly_name": "big",
                "language": "en",
                "types": {"twilio/list-picker": {"body": "Pick", "button": "See", "items": items}},
            },
        )
    assert error.value.status == 400


# Stack tier: the delivery path, the sync command, and the journey.


def _sync(capsys: pytest.CaptureFixture[str]) -> list[list[str]]:
    from duka_local.cli import main

    assert main(["whatsapp", "templates", "sync"]) == 0
    return [line.split() for line in capsys.readouterr().out.splitlines()]


def test_templates_sync_creates_each_template_once_then_keeps_it(stack, capsys):
    first = _sync(capsys)
    again = _sync(capsys)

    names = {f"duka_{t.name}_{lang}" for t in TEMPLATES.values() for lang in t.languages}
    assert {row[1] for row in first} == names and len(first) == len(names)
    assert {row[0] for row in again} == {"kept"}
    assert {row[1]: row[2] for row in again} == {row[1]: row[2] for row in first}
    with psycopg.connect(stack["APP_DATABASE_URL"]) as app_role:  # the app reads them
        recorded = app_role.execute(
            "SELECT friendly_name, content_sid FROM whatsapp_contents WHERE kind = 'template'"
            " AND account_sid = %s",
            (stack["TWILIO_ACCOUNT_SID"],),
        ).fetchall()
    assert dict(recorded) == {row[1]: row[2] for row in first}


def _queue_and_deliver(business_id: str, conversation_id: str, text: str, **metadata: Any) -> None:
    from duka.db.pool import tenant_transaction
    from duka.outbound import deliver_pending, queue_reply

    with tenant_transaction(business_id) as conn:
        queue_reply(
            conn,
            business_id=business_id,
            conversation_id=conversation_id,
            text=text,
            metadata=metadata,
        )
    deliver_pending(business_id, conversation_id)


def test_a_list_inside_the_window_goes_as_one_list_picker_reused_for_the_same_list(
    stack, shop, admin_db
):
    customer = random_kenyan_number()
    chat = add_conversation(admin_db, shop.id, phone=customer)
    plain = "1. Blue Floral Midi Dress KES 2,500\n2. Red Wrap Dress"
    too_long = {**LIST, "items": [{"id": "x", "title": "A title far over 24 characters"}]}

    _queue_and_deliver(shop.id, chat, plain, interactive=LIST)
    _queue_and_deliver(shop.id, chat, plain, interactive=LIST)
    _queue_and_deliver(shop.id, chat, plain, interactive=too_long)

    sent = sandbox_messages(stack, customer)
    assert sent[0]["content_sid"] and sent[0]["content_sid"] == sent[1]["content_sid"]
    assert sent[0]["body"] == "Here is what we have:"
    assert [o["title"] for o in sent[0]["options"]] == ["Blue Floral Midi Dress", "Red Wrap Dress"]
    assert sent[2]["content_sid"] is None and sent[2]["body"] == plain  # Twilio refused the list
    statuses = admin_db.execute(
        "SELECT delivery_status FROM messages WHERE conversation_id = %s AND role = 'agent'",
        (chat,),
    ).fetchall()
    assert [s["delivery_status"] for s in statuses] == ["sent"] * 3


def _move_last_message_back(
    stack: dict[str, str], admin_db: Any, chat: str, customer: str, business: str, hours: int
) -> None:
    """Time passes for both sides: our record of the customer's last message and WhatsApp's."""
    admin_db.execute(
        "UPDATE conversations SET last_customer_message_at = now() - make_interval(hours => %s)"
        " WHERE id = %s",
        (hours, chat),
    )
    httpx.post(
        stack["TWILIO_API_BASE_URL"] + "/_sandbox/inbound",
        json={"from": customer, "to": business, "at": time.time() - hours * 3600},
    ).raise_for_status()


def test_journey_a_dispatch_notice_two_days_after_the_last_message_goes_as_the_template(
    stack, shop, admin_db, app
):
    from duka_local.simulator import WhatsAppSimulator

    phone = WhatsAppSimulator(
        webhook_base_url=stack["WEBHOOK_BASE_URL"],
        twilio_api_base_url=stack["TWILIO_API_BASE_URL"],
        auth_token=stack["TWILIO_AUTH_TOKEN"],
        account_sid=stack["TWILIO_ACCOUNT_SID"],
        business_number=shop.number,
        customer_number=random_kenyan_number(),
        profile_name="Achieng Otieno",
        database_url=stack["DATABASE_URL"],
    )
    phone.send("Hi, is my order coming?")
    phone.wait_for_answer()
    chat = admin_db.execute(
        "SELECT id FROM conversations WHERE business_id = %s AND customer_phone = %s",
        (shop.id, phone.customer_number),
    ).fetchone()["id"]
    order = add_order(admin_db, shop.id, str(chat), lines=[(None, "Kitenge Dress", "M", 1, 2500)])
    _move_last_message_back(stack, admin_db, str(chat), phone.customer_number, shop.number, 48)
    owner = OwnerClient(app, stack, shop.owner)

    owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "shipped"})

    notice = phone.wait_for_replies(count=1)[-1]
    dispatched = admin_db.execute(
        "SELECT content_sid FROM whatsapp_contents WHERE account_sid = %s"
        " AND friendly_name = 'duka_order_dispatched_en'",
        (stack["TWILIO_ACCOUNT_SID"],),
    ).fetchone()
    assert notice["content_sid"] == dispatched["content_sid"]
    assert notice["content_variables"] == {"1": "Nyota Boutique", "2": "Kitenge Dress M ×1"}
    assert (
        notice["body"]
        == "Good news! Your order from Nyota Boutique (Kitenge Dress M ×1) is on its way."
    )
    stored = admin_db.execute(
        "SELECT content, delivery_status FROM messages WHERE conversation_id = %s"
        " AND metadata->>'notice' = 'order_shipped'",
        (chat,),
    ).fetchone()
    assert stored["delivery_status"] == "sent" and "Achieng" in stored["content"]

    phone.send("Asante! When will it arrive?")  # the window opens again
    phone.wait_for_answer()
    owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "delivered"})

    delivered = phone.wait_for_replies(count=1)[-1]
    assert delivered["content_sid"] is None and "has been delivered" in delivered["body"]
