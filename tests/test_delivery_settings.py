"""The owner's delivery set-up: zones, pickup points by hand and from CSV (bad rows refused by
number, formula-looking cells refused), the fee for a place no zone covers, and the courier and
tracking sent at dispatch."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from duka.delivery.point_form import read_csv
from tests.dashboard_helpers import (
    OwnedBoutique,
    OwnerClient,
    add_conversation,
    add_order,
)


@pytest.fixture()
def owner(app: Flask, stack: dict[str, str], shop: OwnedBoutique) -> OwnerClient:
    return OwnerClient(app, stack, shop.owner)


def _points(admin_db: Any, business_id: str) -> list[dict[str, Any]]:
    return admin_db.execute(
        "SELECT name, area, directions, hours, fee_kes FROM pickup_points WHERE business_id = %s"
        " ORDER BY name",
        (business_id,),
    ).fetchall()


def test_an_existing_boutiques_fees_show_as_zones_and_a_zone_in_two_places_is_refused(owner):
    page = owner.get("/dashboard/settings").text
    assert 'value="Nairobi"' in page and 'value="CBD"' in page  # the older fees, as zones

    response = owner.post(
        "/dashboard/settings/delivery",
        {
            "zone_name": ["Nairobi", "West"],
            "zone_areas": ["Westlands, Karen", "westlands"],
            "zone_fee": ["300", "250"],
            "zone_days": ["", ""],
        },
    )
    assert response.status_code == 422
    assert "westlands is in both Nairobi and West" in response.text


CSV = (
    "name,area,directions,hours,fee\n"
    "Sarit Centre agent,Westlands,By the pharmacy,Daily 9-8,100\n"
    '=HYPERLINK("http://evil"),Kilimani,,,100\n'
    "Yaya locker,Kilimani,,,free\n"
    ",Roysambu,,,50\n"
    'TRM desk,Roysambu,Level 1,,"1,50"\n'
    "Junction,@SUM(A1),,,100\n"
)


def test_a_csv_import_saves_good_rows_and_names_each_bad_one(owner, shop, admin_db):
    response = owner.post(
        "/dashboard/settings/pickup-points/import",
        {"file": (io.BytesIO(CSV.encode()), "points.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    assert "Saved 2 pickup points" in response.text
    assert "Row 3: the name starts with &#39;=&#39;" in response.text
    assert "Row 4: the fee &#39;free&#39; must be a whole number" in response.text
    assert "Row 5: the name is missing." in response.text
    assert "Row 7: the area starts with &#39;@&#39;" in response.text
    assert [(p["name"], p["fee_kes"]) for p in _points(admin_db, shop.id)] == [
        ("Sarit Centre agent", 100),
        ("TRM desk", 150),
    ]
    audit = admin_db.execute(
        "SELECT action FROM audit_log WHERE business_id = %s", (shop.id,)
    ).fetchall()
    assert {"action": "pickup_point.imported"} in audit


def test_a_csv_without_the_columns_is_refused_whole():
    checked = read_csv(b"place,price\nSarit,100\n")
    assert checked.points == []
    assert checked.errors == [
        "Row 1: the header needs the columns name, area, directions, hours, fee;"
        " missing name, area, fee."
    ]


def test_a_point_added_by_hand_is_listed_and_can_be_removed(owner, shop, admin_db):
    owner.post(
        "/dashboard/settings/pickup-points",
        {"name": "Yaya locker", "area": "Kilimani", "hours": "24h", "fee": "120"},
    )
    refused = owner.post("/dashboard/settings/pickup-points", {"name": "X", "area": "", "fee": "1"})
    page = owner.get("/dashboard/settings/pickup-points").text

    assert refused.status_code == 422 and "the area is missing" in refused.text
    assert "Yaya locker" in page and "KES 120" in page
    point = admin_db.execute(
        "SELECT id FROM pickup_points WHERE business_id = %s", (shop.id,)
    ).fetchone()
    owner.post("/dashboard/settings/pickup-points/delete", {"point_id": str(point["id"])})
    assert _points(admin_db, shop.id) == []


def test_the_owner_sets_the_fee_for_a_place_no_zone_covers_and_she_gets_her_total(
    owner, shop, admin_db
):
    cart = {"items": [{"product_id": "p1", "name": "Kitenge", "quantity": 2, "unit_price": "1500"}]}
    conversation = add_conversation(
        admin_db,
        shop.id,
        metadata={"cart": cart, "needs_attention": True, "attention_reason": "delivery_fee"},
    )
    quote = admin_db.execute(
        "INSERT INTO delivery_quotes (business_id, conversation_id, customer_phone, address)"
        " SELECT business_id, id, customer_phone, 'Kisumu, Milimani' FROM conversations"
        " WHERE id = %s RETURNING id",
        (conversation,),
    ).fetchone()
    listed = owner.get("/dashboard/orders").text
    assert "Set a delivery fee (1)" in listed and "Kisumu, Milimani" in listed

    owner.post("/dashboard/orders/delivery-fee", {"quote_id": str(quote["id"]), "fee": "450"})

    sent = admin_db.execute(
        "SELECT content FROM messages WHERE conversation_id = %s AND role = 'system'",
        (conversation,),
    ).fetchone()
    assert "Delivery to Kisumu, Milimani is KES 450. Your total is KES 3,450" in sent["content"]
    assert "Set a delivery fee" not in owner.get("/dashboard/orders").text


def test_dispatch_sends_the_courier_and_tracking_link_to_the_customer(owner, shop, admin_db):
    conversation = add_conversation(admin_db, shop.id)
    order = add_order(admin_db, shop.id, conversation, lines=[(None, "Kitenge", "M", 1, 1500)])

    owner.post(
        f"/dashboard/orders/{order}/fulfilment",
        {"status": "shipped", "courier": "G4S", "tracking": "https://track.example/WF123"},
    )

    row = admin_db.execute(
        "SELECT courier, tracking FROM orders WHERE id = %s", (order,)
    ).fetchone()
    assert row == {"courier": "G4S", "tracking": "https://track.example/WF123"}
    notice = admin_db.execute(
        "SELECT content, metadata FROM messages WHERE conversation_id = %s"
        " AND metadata->>'notice' = 'order_shipped'",
        (conversation,),
    ).fetchone()
    assert "Courier: G4S. Tracking: https://track.example/WF123" in notice["content"]
    assert "WF123" in str(notice["metadata"]["template"])  # after 24 hours, the template has it
    page = owner.get(f"/dashboard/orders/{order}").text
    assert "Track the parcel" in page


def _saved_zones(admin_db: Any, business_id: str) -> list[dict[str, Any]]:
    row = admin_db.execute(
        "SELECT settings->'delivery'->'zones' AS zones FROM businesses WHERE id = %s",
        (business_id,),
    ).fetchone()
    return list(row["zones"] or [])


def test_each_zone_saves_its_own_pay_on_delivery_choice_and_shows_it_again(owner, shop, admin_db):
    page = owner.get("/dashboard/settings").text
    assert page.count('name="zone_pod"') == page.count('name="zone_name"')  # a choice per row

    response = owner.post(
        "/dashboard/settings/delivery",
        {
            "zone_name": ["Nairobi", "Coast", ""],
            "zone_areas": ["Westlands, Kilimani", "Nyali", ""],
            "zone_fee": ["300", "600", ""],
            "zone_days": ["same day", "2-3", ""],
            "zone_pod": ["yes", "no", "yes"],  # the empty last row's choice is ignored
        },
    )

    assert response.status_code == 302
    zones = _saved_zones(admin_db, shop.id)
    assert [(z["name"], z["pay_on_delivery"]) for z in zones] == [
        ("Nairobi", True),
        ("Coast", False),
    ]
    shown = owner.get("/dashboard/settings").text
    nairobi = shown[shown.index('value="Nairobi"') : shown.index('value="Coast"')]
    assert '<option value="yes" selected>' in nairobi
    coast = shown[shown.index('value="Coast"') :]
    assert '<option value="no" selected>' in coast


def test_a_pay_on_delivery_choice_that_is_not_yes_or_no_is_refused(owner, shop, admin_db):
    response = owner.post(
        "/dashboard/settings/delivery",
        {
            "zone_name": ["Nairobi"],
            "zone_areas": ["Westlands"],
            "zone_fee": ["300"],
            "zone_days": [""],
            "zone_pod": ["maybe"],
        },
    )

    assert response.status_code == 422
    assert "Choose whether Nairobi takes pay on delivery: yes or no." in response.text
    assert _saved_zones(admin_db, shop.id) == []


def test_zones_saved_without_the_choice_keep_the_shop_wide_answer(owner, shop, admin_db):
    owner.post("/dashboard/settings/shop", {"pay_on_delivery": "yes"})
    owner.post(
        "/dashboard/settings/delivery",
        {
            "zone_name": ["Nairobi"],
            "zone_areas": ["Westlands"],
            "zone_fee": ["300"],
            "zone_days": [""],
        },
    )

    assert "pay_on_delivery" not in _saved_zones(admin_db, shop.id)[0]
    page = owner.get("/dashboard/settings").text
    nairobi = page[page.index('value="Nairobi"') :]
    assert '<option value="yes" selected>' in nairobi  # inherited from the shop's yes
