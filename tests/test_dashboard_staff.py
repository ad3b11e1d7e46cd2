"""Staff accounts: the owner adds a helper by phone; staff chat and fulfil orders, every other
page answers 403 (checked against every route the app has), removal signs them out, and the
audit log says who did what in which role."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask import Flask

from duka.dashboard.auth import PUBLIC_ENDPOINTS
from duka.dashboard.roles import STAFF_MAY
from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import (
    OwnedBoutique,
    OwnerClient,
    add_conversation,
    add_order,
    add_product,
    create_owned_boutique,
    csrf_from,
    sandbox_messages,
    sign_in,
)

# Pages that must stay the owner's whatever the allow-list grows into: money, settings, exports.
OWNER_ONLY = {
    "overview.page",
    "overview.activity",
    "payments.report",
    "refunds.refund",
    "orders.record_payment",
    "orders.record_cash",
    "orders.cancel_on_delivery",
    "orders.decide",
    "settings.page",
    "settings.save",
    "staff.page",
    "staff.add",
    "staff.remove",
    "exports.orders_csv",
    "exports.customers_csv",
    "broadcasts.index",
    "broadcasts.send",
    "funnel.page",
    "demand.page",
    "audit.index",
    "layaway.save_settings",
    "follow_ups.save_settings",
    "products.new",
}


ARGUMENT = re.compile(r"<(?:(\w+):)?\w+>")
FILLERS = {"uuid": str(uuid.uuid4()), "int": "0"}  # any other argument: a settings section


def add_staff_row(admin_db: Any, shop: OwnedBoutique) -> str:
    phone = random_kenyan_number()
    admin_db.execute(
        "INSERT INTO business_owners (business_id, phone, role, invited_by)"
        " VALUES (%s, %s, 'staff', %s)",
        (shop.id, phone, shop.owner),
    )
    return phone


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every signed-in route, its arguments filled with made-up ids."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = ARGUMENT.sub(lambda m: FILLERS.get(m.group(1), "profile"), rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


@pytest.fixture()
def owner(app: Flask, stack: dict[str, str], shop: OwnedBoutique) -> OwnerClient:
    return OwnerClient(app, stack, shop.owner)


@pytest.fixture()
def staff_phone(admin_db: Any, shop: OwnedBoutique) -> str:
    return add_staff_row(admin_db, shop)


@pytest.fixture()
def staff(app: Flask, stack: dict[str, str], staff_phone: str) -> OwnerClient:
    return OwnerClient(app, stack, staff_phone)


def test_the_owner_adds_staff_who_are_told_on_whatsapp_and_sign_in_to_the_chats(
    app, stack, admin_db, shop, owner
):
    newcomer = random_kenyan_number()

    added = owner.post("/dashboard/settings/staff/add", {"phone": "0" + newcomer[4:]})
    listed = owner.get("/dashboard/settings/staff").text
    client = app.test_client()
    signed_in = sign_in(client, stack, newcomer)
    chats = client.get(signed_in.location)

    assert added.status_code == 302
    assert f"{newcomer[:4]} {newcomer[4:7]} {newcomer[7:10]} {newcomer[10:]}" in listed
    assert "Staff" in listed and "Owner" in listed
    invite, code = sandbox_messages(stack, newcomer)
    assert invite["from"] == code["from"] == f"whatsapp:{shop.number}"
    assert "You were added as staff of" in invite["body"] and "/dashboard/login" in invite["body"]
    assert signed_in.location.endswith("/dashboard/conversations")
    assert chats.status_code == 200
    assert 'class="brand" href="/dashboard/conversations"' in chats.text
    nav = chats.text.split('aria-label="Sections"')[1].split("</nav>")[0]
    assert [label for label in ("Home", "Chats", "Products", "Orders") if label in nav] == [
        "Chats",
        "Products",
        "Orders",
    ]
    assert "Customers" in nav and "Broadcast" not in nav and "Settings" not in nav
    row = admin_db.execute(
        "SELECT actor_phone, actor_role, subject_id FROM audit_log"
        " WHERE business_id = %s AND action = 'staff.added'",
        (shop.id,),
    ).fetchone()
    assert row == {"actor_phone": shop.owner, "actor_role": "owner", "subject_id": newcomer}


def test_a_wrong_number_or_someone_who_already_has_access_is_explained(owner, shop):
    invalid = owner.post("/dashboard/settings/staff/add", {"phone": "12345"})
    again = owner.post("/dashboard/settings/staff/add", {"phone": shop.owner})

    assert invalid.status_code == 422 and "Kenyan mobile number" in invalid.text
    assert 'value="12345"' in invalid.text  # what she typed stays in the box
    assert again.status_code == 422 and "already has access" in again.text


def test_every_page_off_the_staff_list_is_refused_to_staff_and_theirs_open(app, staff):
    refused, opened, wrong = set(), set(), []
    for endpoint, method, url in routes(app):
        allowed = method in STAFF_MAY.get(endpoint, frozenset())
        if allowed and method == "POST":
            continue  # doing things (signing out, replying) is tested on its own below
        response = staff.get(url) if method == "GET" else staff.post(url)
        if allowed != (response.status_code != 403):
            wrong.append((method, url, response.status_code))
        (opened if allowed else refused).add(endpoint)

    assert wrong == []
    assert OWNER_ONLY <= refused
    assert {"conversations.index", "orders.index", "customers.index"} <= opened
    overview = staff.get("/dashboard/")
    assert "Sales today" not in overview.text and "Ask the shop&#39;s owner" in overview.text
    assert 'href="/dashboard/conversations">Back to the chats' in overview.text


def test_the_owner_still_opens_every_page(app, owner):
    failures = []
    for endpoint, method, url in routes(app):
        if method != "GET":
            continue
        response = owner.get(url)
        if response.status_code == 403 or response.status_code >= 500:
            failures.append((endpoint, url, response.status_code))

    assert failures == []
    assert "Sales today" in owner.get("/dashboard/").text
    settings = owner.get("/dashboard/settings").text
    assert 'href="/dashboard/settings/staff"' in settings


def test_staff_reply_in_a_chat_and_ship_an_order_and_the_log_says_so(
    stack, admin_db, shop, staff, staff_phone, owner
):
    chat = add_conversation(admin_db, shop.id, messages=[("customer", "Iko size M?")])
    order = add_order(admin_db, shop.id, chat, lines=[(None, "Kitenge Dress", "M", 1, 2500)])
    customer = admin_db.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (chat,)
    ).fetchone()["customer_phone"]

    staff.post(f"/dashboard/conversations/{chat}/takeover")
    replied = staff.post(f"/dashboard/conversations/{chat}/reply", {"text": "Ipo! Karibu."})
    shipped = staff.post(f"/dashboard/orders/{order}/fulfilment", {"status": "shipped"})
    refund = staff.post(f"/dashboard/orders/{order}/refund", {"amount": "2500"})

    bodies = [m["body"] for m in sandbox_messages(stack, customer)]
    status = admin_db.execute(
        "SELECT fulfillment_status, status FROM orders WHERE id = %s", (order,)
    ).fetchone()
    logged = admin_db.execute(
        "SELECT action, actor_phone, actor_role FROM audit_log WHERE business_id = %s"
        " AND action NOT LIKE 'auth.%%' ORDER BY id",
        (shop.id,),
    ).fetchall()
    audit_page = owner.get("/dashboard/audit").text
    assert replied.status_code == 302 and shipped.status_code == 302
    assert "Ipo! Karibu." in bodies and len(bodies) == 2  # the reply, then "on its way"
    assert refund.status_code == 403
    assert status == {"fulfillment_status": "shipped", "status": "paid"}
    assert [(r["action"], r["actor_role"]) for r in logged] == [
        ("chat.take_over", "staff"),
        ("chat.reply", "staff"),
        ("order.fulfilment", "staff"),
    ]
    assert {r["actor_phone"] for r in logged} == {staff_phone}
    assert ">Staff</span>" in audit_page and "sent a reply" in audit_page


def test_staff_pages_show_no_button_that_would_only_answer_403(admin_db, shop, staff, owner):
    chat = add_conversation(admin_db, shop.id, messages=[("customer", "Nataka hii")])
    pending = add_order(
        admin_db, shop.id, chat, lines=[(None, "Ankara Top", "S", 1, 1500)], status="pending"
    )
    product = add_product(admin_db, shop.id, sku="KD-1", name="Kitenge Dress")
    owner_only = {
        "/dashboard/orders": ["Download CSV", "Payments by day"],
        f"/dashboard/orders/{pending}": ["Paid, record this code"],
        "/dashboard/customers": ["Download CSV"],
        "/dashboard/products": ["Add product", "What customers asked for"],
        f"/dashboard/products/{product}": ["Save product", ">Archive<", ">Delete<"],
    }

    for url, buttons in owner_only.items():
        as_staff, as_owner = staff.get(url), owner.get(url)
        assert as_staff.status_code == 200, url
        for button in buttons:
            assert button in as_owner.text and button not in as_staff.text, (url, button)
    form = staff.get(f"/dashboard/products/{product}").text
    assert "disabled" in form and "Only the shop's owner can change products." in form


def test_a_removed_staff_member_is_signed_out_at_their_next_click(
    admin_db, shop, staff, staff_phone, owner
):
    assert staff.get("/dashboard/conversations").status_code == 200

    removed = owner.post("/dashboard/settings/staff/remove", {"phone": staff_phone})
    after = staff.get("/dashboard/conversations")
    live = admin_db.execute(
        "SELECT count(*) AS n FROM owner_sessions WHERE phone = %s AND revoked_at IS NULL",
        (staff_phone,),
    ).fetchone()["n"]
    logged = admin_db.execute(
        "SELECT actor_phone, subject_id, details FROM audit_log"
        " WHERE business_id = %s AND action = 'staff.removed'",
        (shop.id,),
    ).fetchone()

    assert removed.status_code == 302
    assert "can no longer open this dashboard" in owner.get(removed.location).text
    assert after.status_code == 302 and after.location.endswith("/dashboard/login")
    assert live == 0
    assert logged == {
        "actor_phone": shop.owner,
        "subject_id": staff_phone,
        "details": {"role": "staff"},
    }


def test_an_owner_cannot_remove_herself_and_staff_cannot_remove_anyone(
    admin_db, shop, staff, owner
):
    own = owner.post("/dashboard/settings/staff/remove", {"phone": shop.owner})
    by_staff = staff.post("/dashboard/settings/staff/remove", {"phone": shop.owner})

    owners = admin_db.execute(
        "SELECT phone FROM business_owners WHERE business_id = %s AND role = 'owner'", (shop.id,)
    ).fetchall()
    assert "You can&#39;t remove yourself." in owner.get(own.location).text
    assert by_staff.status_code == 403
    assert owners == [{"phone": shop.owner}]


def test_a_second_owner_can_be_removed_and_loses_access_at_once(app, stack, admin_db, shop, owner):
    partner = random_kenyan_number()
    admin_db.execute(
        "INSERT INTO business_owners (business_id, phone) VALUES (%s, %s)", (shop.id, partner)
    )
    other = OwnerClient(app, stack, partner)

    removed = owner.post("/dashboard/settings/staff/remove", {"phone": partner})
    too_late = other.post("/dashboard/settings/staff/remove", {"phone": shop.owner})
    page = other.get("/dashboard/settings/staff")

    assert removed.status_code == 302
    assert too_late.status_code == 400  # her session ended: its form token counts no more
    assert page.status_code == 302 and page.location.endswith("/dashboard/login")
    remaining = admin_db.execute(
        "SELECT phone FROM business_owners WHERE business_id = %s", (shop.id,)
    ).fetchall()
    assert remaining == [{"phone": shop.owner}]


def test_staff_of_one_boutique_cannot_reach_another(app, stack, admin_db, shop, staff):
    theirs = create_owned_boutique(admin_db, name="Zawadi Fashions")
    their_chat = add_conversation(admin_db, theirs.id, name="Kibanda Secret")
    their_order = add_order(admin_db, theirs.id, their_chat, lines=[(None, "Shoe", "40", 1, 900)])

    thread = staff.get(f"/dashboard/conversations/{their_chat}")
    order = staff.get(f"/dashboard/orders/{their_order}")
    ship = staff.post(f"/dashboard/orders/{their_order}/fulfilment", {"status": "shipped"})
    token = csrf_from(staff.get("/dashboard/conversations").text)
    switch = staff.client.post(
        "/dashboard/login/choose", data={"business_id": theirs.id, "csrf_token": token}
    )
    chats = staff.get("/dashboard/conversations").text

    assert (thread.status_code, order.status_code, ship.status_code) == (404, 404, 404)
    assert switch.status_code == 302 and switch.location.endswith("/dashboard/login")
    assert "Kibanda Secret" not in chats
    assert admin_db.execute(
        "SELECT fulfillment_status FROM orders WHERE id = %s", (their_order,)
    ).fetchone() == {"fulfillment_status": "pending"}
