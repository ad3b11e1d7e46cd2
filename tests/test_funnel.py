"""The funnel page: each chat counted once at the furthest step it reached, split by who sold.

Real stack: one customer chats through the simulator (the turn records what it showed and the
cart); the rest of the month is written to the database as the pipeline writes it. The owner
reads the page through the dashboard, signed in for real.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.dashboard_helpers import (
    OwnerClient,
    add_conversation,
    add_order,
    create_owned_boutique,
    signed_in_owner,
)
from tests.journeys import say


def chat(admin: Any, business_id: str, *, shown: bool = False, cart: bool = False) -> str:
    """A chat this week: she wrote, the agent answered (showing products, leaving a cart)."""
    conversation = add_conversation(admin, business_id)
    admin.execute(
        "INSERT INTO messages (business_id, conversation_id, role, content, metadata)"
        " VALUES (%s, %s, 'agent', 'Here you go', %s)",
        (
            business_id,
            conversation,
            Jsonb({"shown": ["p1"] if shown else [], "cart_lines": 1 if cart else 0}),
        ),
    )
    return conversation


def checkout(admin: Any, business_id: str, conversation: str, *, prompt: bool, paid: bool) -> str:
    order = add_order(
        admin,
        business_id,
        conversation,
        lines=[(None, "Kitenge Dress", "M", 1, 2500)],
        status="paid" if paid else "pending",
    )
    if prompt:
        admin.execute(
            "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key,"
            " gateway, pay_phone, amount, checkout_request_id)"
            " VALUES (%s, %s, 1, %s, 'paylink', '+254700000001', 2500, %s)",
            (business_id, order, "key-" + order, "ws_" + order[:8]),
        )
    return order


def steps(page: str, segment: str) -> dict[str, tuple[int, str | None]]:
    card = re.search(rf'data-segment="{segment}">(.*?)</ol>', page, re.S)
    assert card is not None, segment
    found = {}
    for name, body in re.findall(r'data-step="(\w+)">(.*?)</li>', card.group(1), re.S):
        count = re.search(r'class="step-count">(\d+)<', body)
        share = re.search(r'class="muted conversion">([^<]+)<', body)
        assert count is not None
        found[name] = (int(count.group(1)), share.group(1) if share else None)
    return found


@pytest.fixture()
def shop(admin_db) -> Any:
    return create_owned_boutique(admin_db, "Funnel Boutique")


@pytest.fixture()
def owner(stack, admin_db, shop) -> Iterator[OwnerClient]:
    with signed_in_owner(stack, admin_db, shop.id) as client:
        yield client


def test_each_chat_counts_once_at_the_furthest_step_and_conversion_is_the_share_of_the_step_before(
    stack, admin_db, shop, owner
):
    b = shop.id
    for _ in range(4):
        chat(admin_db, b)  # only talked
    for _ in range(2):
        chat(admin_db, b, shown=True)
    chat(admin_db, b, shown=True, cart=True)
    checkout(admin_db, b, chat(admin_db, b, shown=True, cart=True), prompt=False, paid=False)
    checkout(admin_db, b, chat(admin_db, b, shown=True, cart=True), prompt=True, paid=False)
    checkout(admin_db, b, chat(admin_db, b, shown=True, cart=True), prompt=True, paid=True)
    # She typed her code with no products shown: still counts at every step before paid.
    assisted = chat(admin_db, b)
    checkout(admin_db, b, assisted, prompt=False, paid=True)
    admin_db.execute(
        "INSERT INTO messages (business_id, conversation_id, role, content)"
        " VALUES (%s, %s, 'owner', 'Karibu! I will hold it for you')",
        (b, assisted),
    )
    old = chat(admin_db, b, shown=True)  # last month: outside the range
    admin_db.execute(
        "UPDATE messages SET created_at = now() - interval '40 days' WHERE conversation_id = %s",
        (old,),
    )

    page = owner.get("/dashboard/funnel/").text

    assert steps(page, "all") == {
        "chats": (11, None),
        "shown": (7, "64%"),
        "cart": (5, "71%"),
        "checkout": (4, "80%"),
        "prompt": (3, "75%"),
        "paid": (2, "67%"),
    }
    assert steps(page, "assisted")["chats"] == (1, None)
    assert steps(page, "assisted")["paid"] == (1, "100%")
    assert steps(page, "agent")["chats"] == (10, None)
    assert steps(page, "agent")["paid"] == (1, "50%")
    assert 'data-testid="funnel-revenue">KES 5,000<' in page
    organic = re.search(r'<tr data-source="organic">(.*?)</tr>', page, re.S)
    assert organic is not None and ">2<" in organic.group(1)


def test_another_boutiques_chats_never_show(stack, admin_db, shop, owner):
    other = create_owned_boutique(admin_db, "Other Boutique")
    checkout(admin_db, other.id, chat(admin_db, other.id, shown=True), prompt=True, paid=True)
    chat(admin_db, shop.id)

    page = owner.get("/dashboard/funnel/").text

    assert steps(page, "all")["chats"] == (1, None)
    assert steps(page, "all")["paid"] == (0, "—")  # no step before it either


def test_a_mistyped_range_is_said_and_the_last_30_days_shown(stack, shop, owner):
    page = owner.get("/dashboard/funnel/?from=2026-11-30&to=2026-11-01").text

    assert "The end date was before the start; showing the last 30 days." in page
    assert steps(page, "all")["chats"] == (0, None)


def test_a_real_chat_shows_up_as_products_shown_and_a_cart(stack, boutique, admin_db, phone):
    with signed_in_owner(stack, admin_db, boutique["id"]) as client:
        say(phone, "do you have a blue floral midi dress?")
        say(phone, "add the blue floral midi dress size M to my cart")

        page = client.get("/dashboard/funnel/").text

    assert steps(page, "all")["chats"][0] == 1
    assert steps(page, "all")["shown"][0] == 1
    assert steps(page, "all")["cart"][0] == 1


def test_the_range_picker_counts_only_the_days_chosen(stack, admin_db, shop, owner):
    recent, older = chat(admin_db, shop.id), chat(admin_db, shop.id)
    admin_db.execute(
        "UPDATE messages SET created_at = now() - interval '10 days' WHERE conversation_id = %s",
        (older,),
    )
    assert recent

    week = owner.get("/dashboard/funnel/?from=" + _days_ago(6)).text
    month = owner.get("/dashboard/funnel/?from=" + _days_ago(29)).text

    assert steps(week, "all")["chats"] == (1, None)
    assert steps(month, "all")["chats"] == (2, None)


def _days_ago(days: int) -> str:
    from datetime import datetime, timedelta

    from duka.dashboard.formatting import NAIROBI

    return (datetime.now(NAIROBI).date() - timedelta(days=days)).isoformat()
