"""What brought each paid order, and the overview's revenue by source.

Real stack: checkout as the application role (PayLink sandbox), the owner's dashboard (signed in
for real) takes the chat over and records the M-Pesa code, settle() attributes the order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import OwnerClient, signed_in_owner
from tests.payments_support import Shop, as_app_role
from tests.test_flagged_orders import open_order
from tests.test_owner_payments import confirm


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


@pytest.fixture()
def owner(stack, shop: Shop) -> Iterator[OwnerClient]:
    with signed_in_owner(stack, shop.admin, shop.business_id) as client:
        yield client


def touch(
    shop: Shop, phone: Any, kind: str, ref: str, hours_ago: float, business: str = ""
) -> None:
    shop.admin.execute(
        "INSERT INTO sales_touches (business_id, customer_phone, kind, ref, created_at)"
        " VALUES (%s, %s, %s, %s, now() - make_interval(secs => %s))",
        (business or shop.business_id, phone.customer_number, kind, ref, hours_ago * 3600),
    )


def pay(
    shop: Shop, phone: Any, owner: OwnerClient, code: str, *, before_paying: Any = None
) -> dict[str, Any]:
    order_id = open_order(shop, phone)
    if before_paying is not None:
        before_paying(order_id)
    assert "the order is paid" in confirm(owner, order_id, code, "2800")
    row = shop.admin.execute(
        "SELECT id, source, source_ref FROM orders WHERE id = %s", (order_id,)
    ).fetchone()
    return {"id": str(row["id"]), "source": row["source"], "source_ref": row["source_ref"]}


def test_an_order_nothing_else_reached_is_organic(shop, phone, owner):
    touch(shop, phone, "broadcast", "old-broadcast", hours_ago=73)  # outside the 72 hours

    paid = pay(shop, phone, owner, "QAT1ORGAN1")
    assert (paid["source"], paid["source_ref"]) == ("organic", None)


def test_the_newest_touch_within_72_hours_brought_the_order(shop, phone, owner):
    touch(shop, phone, "broadcast", "new-arrivals", hours_ago=30)
    touch(shop, phone, "back_in_stock", "alert-7", hours_ago=2)

    paid = pay(shop, phone, owner, "QAT2ALERT2")
    assert (paid["source"], paid["source_ref"]) == ("back_in_stock", "alert-7")


def test_another_boutiques_touch_never_counts(shop, phone, owner, admin_db):
    other = admin_db.execute(
        "INSERT INTO businesses (name, whatsapp_number) VALUES ('Other', %s) RETURNING id",
        ("+2547" + phone.customer_number[-8:],),
    ).fetchone()["id"]
    touch(shop, phone, "broadcast", "theirs", hours_ago=1, business=str(other))

    assert pay(shop, phone, owner, "QAT3OTHER3")["source"] == "organic"


def test_a_sale_after_the_owner_took_the_chat_over_is_the_owners(shop, phone, owner):
    taken_over = []

    def take_over(order_id: str) -> None:
        conversation = str(shop.order(order_id)["conversation_id"])
        response = owner.post(f"/dashboard/conversations/{conversation}/takeover", {})
        assert response.status_code == 302
        taken_over.append(conversation)

    paid = pay(shop, phone, owner, "QAT4OWNER4", before_paying=take_over)
    assert (paid["source"], paid["source_ref"]) == ("owner_takeover", taken_over[0])


def test_the_overview_shows_revenue_by_source_for_7_and_30_days(shop, phone, owner):
    another = SimpleNamespace(customer_number=random_kenyan_number())
    for customer in (phone, another):
        touch(shop, customer, "broadcast", "sale", hours_ago=1)
    pay(shop, phone, owner, "QAT5BROAD5")
    earlier = pay(shop, another, owner, "QAT6BROAD6")
    shop.admin.execute(  # paid 20 days ago: in the 30 days only
        "UPDATE orders SET paid_at = now() - interval '20 days' WHERE id = %s", (earlier["id"],)
    )

    page = owner.get("/dashboard/").text
    row = re.search(r'<tr data-source="broadcast">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]
    assert cells == ["Broadcasts", "KES 2,800 1 order", "KES 5,600 2 orders"]
    assert "Follow-ups" in page and "Back in stock" in page and "You, in the chat" in page
