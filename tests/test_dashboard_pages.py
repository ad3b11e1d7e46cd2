"""What the owner sees and does on each page, on the real database (Flask's test client)."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from duka.dashboard.product_form import parse_product_form
from tests.dashboard_helpers import (
    OwnedBoutique,
    OwnerClient,
    add_conversation,
    add_order,
    add_product,
    sandbox_messages,
)


@pytest.fixture()
def owner(app: Flask, stack: dict[str, str], shop: OwnedBoutique) -> OwnerClient:
    return OwnerClient(app, stack, shop.owner)


def customer_phone_of(admin_db: Any, conversation_id: str) -> str:
    row = admin_db.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (conversation_id,)
    ).fetchone()
    return str(row["customer_phone"])


def png_bytes(colour: str = "red") -> bytes:
    from duka_local.demo.images import swatch_png

    return swatch_png([colour], size=64)


# Overview


def test_overview_adds_up_todays_and_30_day_sales_and_conversion(owner, shop, admin_db):
    talked = add_conversation(admin_db, shop.id, name="Achieng")
    add_conversation(admin_db, shop.id, name="Browsing Only")
    dress = add_product(admin_db, shop.id, sku="D1", name="Ankara Maxi Dress", price=3200)
    add_order(admin_db, shop.id, talked, lines=[(dress, "Ankara Maxi Dress", "M", 2, 3200)])
    old = add_order(admin_db, shop.id, talked, lines=[(dress, "Ankara Maxi Dress", "L", 1, 3200)])
    admin_db.execute(
        "UPDATE orders SET created_at = now() - interval '3 days',"
        " paid_at = now() - interval '3 days' WHERE id = %s",
        (old,),
    )
    add_order(
        admin_db,
        shop.id,
        talked,
        lines=[(dress, "Ankara Maxi Dress", "S", 1, 3200)],
        status="pending",
    )

    page = owner.get("/dashboard/").text

    assert 'data-testid="sales-today">KES 6,400<' in page
    assert 'data-testid="sales-30d">KES 9,600<' in page
    assert "50%" in page  # one of two conversations led to a paid order
    assert "1 awaiting payment" in page
    assert "Ankara Maxi Dress" in page and "3 sold" in page


def test_the_activity_feed_shows_new_messages_without_a_reload(owner, shop, admin_db):
    before = owner.get("/dashboard/activity").text
    add_conversation(admin_db, shop.id, name="Fresh Face", messages=[("customer", "Hi, bei?")])

    after = owner.get("/dashboard/activity").text

    assert "Hi, bei?" not in before
    assert "Hi, bei?" in after


# Conversations and takeover


def test_chats_are_listed_newest_first_with_unread_and_attention_markers(owner, shop, admin_db):
    add_conversation(admin_db, shop.id, name="Older Chat")
    admin_db.execute(
        "UPDATE messages SET created_at = now() - interval '1 day' WHERE business_id = %s",
        (shop.id,),
    )
    urgent = add_conversation(
        admin_db,
        shop.id,
        name="Wants Person",
        messages=[("customer", "Nataka kuongea na mtu")],
        status="handed_over",
        metadata={"needs_attention": True},
    )

    page = owner.get("/dashboard/conversations").text
    attention = owner.get("/dashboard/conversations?show=attention").text
    owner.get(f"/dashboard/conversations/{urgent}")
    after_reading = owner.get("/dashboard/conversations?show=unread").text

    assert page.index("Wants Person") < page.index("Older Chat")
    assert "Needs you" in page and 'aria-label="1 unread"' in page
    assert "Wants Person" in attention and "Older Chat" not in attention
    assert "Wants Person" not in after_reading and "Older Chat" in after_reading


def test_the_chat_shows_photos_products_shown_and_payment_markers(owner, shop, admin_db):
    dress = add_product(
        admin_db,
        shop.id,
        sku="K1",
        name="Kitenge Wrap Dress",
        price=2800,
        images=["/nonexistent.png"],
    )
    chat = add_conversation(
        admin_db,
        shop.id,
        messages=[
            ("customer", "Kama hii"),
            ("agent", "Here you go:\n1. Kitenge Wrap Dress - KES 2,800"),
        ],
    )
    admin_db.execute(
        'UPDATE messages SET attachments = \'[{"url": "http://127.0.0.1:9/p.jpg"}]\''
        " WHERE conversation_id = %s AND role = 'customer'",
        (chat,),
    )
    add_order(admin_db, shop.id, chat, lines=[(dress, "Kitenge Wrap Dress", "M", 1, 2800)])

    page = owner.get(f"/dashboard/conversations/{chat}").text

    assert 'class="attachment"' in page and "/media/0" in page
    assert 'aria-label="Products shown"' in page and f"/dashboard/products/{dress}" in page
    assert "Order created · KES 2,800" in page
    assert "Paid KES 2,800 · M-Pesa QGX" in page


def test_takeover_reply_reaches_the_customer_as_an_owner_message(owner, shop, admin_db, stack):
    chat = add_conversation(
        admin_db,
        shop.id,
        messages=[("customer", "Naweza ongea na mtu?")],
        status="handed_over",
        metadata={"needs_attention": True},
    )
    customer = customer_phone_of(admin_db, chat)

    refused = owner.post(f"/dashboard/conversations/{chat}/handback")
    owner.post(f"/dashboard/conversations/{chat}/takeover")
    owner.post(f"/dashboard/conversations/{chat}/reply", {"text": "Hi! Ni Mama Nyota hapa."})

    sent = sandbox_messages(stack, customer)
    stored = admin_db.execute(
        "SELECT role, content, delivery_status FROM messages WHERE conversation_id = %s"
        " AND role <> 'customer'",
        (chat,),
    ).fetchall()
    conversation = admin_db.execute(
        "SELECT status, metadata FROM conversations WHERE id = %s", (chat,)
    ).fetchone()
    unanswered = admin_db.execute(
        "SELECT count(*) AS n FROM messages WHERE conversation_id = %s AND role = 'customer'"
        " AND answered_by IS NULL",
        (chat,),
    ).fetchone()
    assert refused.status_code == 302  # handing back a thread is always allowed
    assert [m["body"] for m in sent] == ["Hi! Ni Mama Nyota hapa."]
    assert sent[0]["from"] == f"whatsapp:{shop.number}"
    assert stored == [
        {"role": "owner", "content": "Hi! Ni Mama Nyota hapa.", "delivery_status": "sent"}
    ]
    assert conversation["status"] == "handed_over"
    assert "needs_attention" not in conversation["metadata"]
    assert unanswered["n"] == 0  # the owner's reply answered it: the agent won't later


def test_the_owner_cannot_reply_before_taking_over(owner, shop, admin_db, stack):
    chat = add_conversation(admin_db, shop.id)

    response = owner.post(f"/dashboard/conversations/{chat}/reply", {"text": "Hello"})

    assert "Take over" in owner.get(response.location).text
    assert sandbox_messages(stack, customer_phone_of(admin_db, chat)) == []


def test_handing_back_lets_the_agent_answer_what_came_in_meanwhile(owner, shop, stack, admin_db):
    from tests.journeys import customer_phone

    phone = customer_phone(stack, shop.number)
    chat = add_conversation(
        admin_db, shop.id, phone=phone.customer_number, messages=[], status="handed_over"
    )
    phone.send("Hello, mko na dresses?")
    time.sleep(1.0)
    assert phone.replies() == []  # the owner has the thread: the agent stays quiet

    owner.post(f"/dashboard/conversations/{chat}/handback")

    assert phone.wait_for_replies(count=1, timeout=30)


# Products


# What the edit form of a product added with `product_form()` carries as the stock it showed
# (saving checks it is still the stock stored, so an order's reservation is never overwritten).
SHOWN_STOCK = {"shown_stock": "5", "shown_size_stock": ["M:3", "S:2"]}


def product_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "name": "Maasai Shuka Skirt",
        "description": "Red checked shuka wrap skirt",
        "price": "1,950",
        "sku": "",
        "category": "skirt",
        "colors": "Red, Blue",
        "size": ["S", "M", ""],
        "size_stock": ["2", "3", ""],
        "material": "cotton",
        "occasion": "casual",
    }
    return {**form, **overrides}


def test_adding_a_product_stores_it_with_photos_and_announces_it(owner, shop, admin_db):
    form = product_form(photos=[(io.BytesIO(png_bytes()), "shuka.png")])

    response = owner.post("/dashboard/products/new", form, content_type="multipart/form-data")

    product = admin_db.execute(
        "SELECT * FROM products WHERE business_id = %s", (shop.id,)
    ).fetchone()
    events = admin_db.execute(
        "SELECT payload FROM outbox WHERE business_id = %s AND topic = 'product-changed'",
        (shop.id,),
    ).fetchall()
    assert response.status_code == 302
    assert product["name"] == "Maasai Shuka Skirt" and str(product["price"]) == "1950.00"
    assert product["stock"] == 5
    sizes = admin_db.execute(
        "SELECT size, stock FROM product_stock WHERE product_id = %s ORDER BY size",
        (product["id"],),
    ).fetchall()
    assert product["attrs"] == {
        "colors": ["red", "blue"],
        "sizes": ["S", "M"],
        "material": "cotton",
        "occasion": "casual",
    }
    assert sizes == [{"size": "M", "stock": 3}, {"size": "S", "stock": 2}]
    assert product["sku"].startswith("DK-") and len(product["images"]) == 1
    assert owner.get(f"/dashboard/products/{product['id']}/images/0").data == png_bytes()
    assert [e["payload"]["product_id"] for e in events] == [str(product["id"])]


def test_a_saved_product_becomes_searchable(owner, shop, admin_db):
    owner.post("/dashboard/products/new", product_form(), content_type="multipart/form-data")

    deadline = time.monotonic() + 30
    while "Searchable" not in (page := owner.get("/dashboard/products").text):
        assert time.monotonic() < deadline, "the product never became searchable"
        time.sleep(0.2)
    assert "Maasai Shuka Skirt" in page


@pytest.mark.parametrize(
    ("category", "typed", "stored"),
    [
        ("jeans", ["28", "W30", "32w"], ["W28", "W30", "W32"]),
        ("shoes", ["uk 5", "EU38", "39"], ["UK5", "38", "39"]),
        ("kids", ["2-3 yrs", "6y"], ["2-3Y", "6Y"]),
        ("lingerie", ["34b", "36DD"], ["34B", "36DD"]),
        ("bag", ["one size"], ["FREE"]),
    ],
)
def test_the_product_form_takes_any_size_a_boutique_sells(category, typed, stored):
    fields = [("name", "Item"), ("price", "1500"), ("category", category)]
    fields += [("size", size) for size in typed] + [("size_stock", "2") for _ in typed]

    parsed = parse_product_form(MultiDict(fields), [])

    assert parsed.errors == {} and [size for size, _ in parsed.sizes] == stored


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Give the product a name"),
        ({"price": "abc"}, "Write the price in shillings"),
        ({"price": "0"}, "more than 0"),
        ({"size": ["M", "XXXXL"], "size_stock": ["1", "1"]}, "Unknown size XXXXL"),
        ({"size": ["M", "m"], "size_stock": ["1", "1"]}, "Each size once"),
        ({"size": ["W30", "W50"], "size_stock": ["1", "1"]}, "Unknown size W50"),
        ({"category": "jeans", "size": ["32", "W32"], "size_stock": ["1", "1"]}, "Each size once"),
        ({"size": ["M"], "size_stock": ["-1"]}, "whole number"),
        ({"photos": [(io.BytesIO(b"not a picture"), "notes.txt")]}, "not a photo we can use"),
    ],
)
def test_a_product_form_with_a_mistake_says_what_to_fix(owner, shop, admin_db, overrides, message):
    response = owner.post(
        "/dashboard/products/new", product_form(**overrides), content_type="multipart/form-data"
    )

    assert response.status_code == 422
    assert message in response.text
    assert (
        admin_db.execute(
            "SELECT count(*) AS n FROM products WHERE business_id = %s", (shop.id,)
        ).fetchone()["n"]
        == 0
    )


def test_a_sku_used_by_another_product_is_refused(owner, shop, admin_db):
    add_product(admin_db, shop.id, sku="NY-1", name="Existing Dress")

    response = owner.post(
        "/dashboard/products/new", product_form(sku="NY-1"), content_type="multipart/form-data"
    )

    assert response.status_code == 422 and "already used by “Existing Dress”" in response.text


def test_editing_a_product_keeps_its_photos_unless_removed(owner, shop, admin_db):
    owner.post(
        "/dashboard/products/new",
        product_form(
            photos=[
                (io.BytesIO(png_bytes("red")), "a.png"),
                (io.BytesIO(png_bytes("blue")), "b.png"),
            ]
        ),
        content_type="multipart/form-data",
    )
    product = admin_db.execute(
        "SELECT id, sku, images FROM products WHERE business_id = %s", (shop.id,)
    ).fetchone()

    owner.post(
        f"/dashboard/products/{product['id']}",
        product_form(sku=product["sku"], price="2100", remove_image="0", **SHOWN_STOCK),
        content_type="multipart/form-data",
    )

    edited = admin_db.execute(
        "SELECT price, images FROM products WHERE id = %s", (product["id"],)
    ).fetchone()
    assert str(edited["price"]) == "2100.00"
    assert edited["images"] == product["images"][1:]


def test_editing_stock_per_size_updates_what_checkout_reserves_from(owner, shop, admin_db):
    owner.post("/dashboard/products/new", product_form(), content_type="multipart/form-data")
    product = admin_db.execute(
        "SELECT id, sku FROM products WHERE business_id = %s", (shop.id,)
    ).fetchone()
    form = owner.get(f"/dashboard/products/{product['id']}").text

    owner.post(
        f"/dashboard/products/{product['id']}",
        product_form(sku=product["sku"], size=["M", "L"], size_stock=["1", "6"], **SHOWN_STOCK),
        content_type="multipart/form-data",
    )

    sizes = admin_db.execute(
        "SELECT size, stock FROM product_stock WHERE product_id = %s ORDER BY size",
        (product["id"],),
    ).fetchall()
    stock = admin_db.execute(
        "SELECT stock FROM products WHERE id = %s", (product["id"],)
    ).fetchone()["stock"]
    assert 'value="S"' in form and 'value="2"' in form  # the form shows the stored sizes
    assert sizes == [{"size": "L", "stock": 6}, {"size": "M", "stock": 1}]
    assert stock == 7


def test_delete_removes_an_unordered_product_but_archives_an_ordered_one(owner, shop, admin_db):
    loose = add_product(admin_db, shop.id, sku="L1", name="Never Ordered Top")
    sold = add_product(admin_db, shop.id, sku="S1", name="Ordered Jumpsuit")
    chat = add_conversation(admin_db, shop.id)
    add_order(admin_db, shop.id, chat, lines=[(sold, "Ordered Jumpsuit", "M", 1, 2500)])

    owner.post(f"/dashboard/products/{loose}/delete")
    response = owner.post(f"/dashboard/products/{sold}/delete")

    rows = admin_db.execute(
        "SELECT name, active FROM products WHERE business_id = %s ORDER BY name", (shop.id,)
    ).fetchall()
    assert rows == [{"name": "Ordered Jumpsuit", "active": False}]
    assert "archived instead" in owner.get(response.location).text
    assert "Ordered Jumpsuit" not in owner.get("/dashboard/products").text
    assert "Ordered Jumpsuit" in owner.get("/dashboard/products?archived=1").text


def test_products_can_be_searched_and_shown_as_a_table(owner, shop, admin_db):
    add_product(admin_db, shop.id, sku="T1", name="Denim Jacket")
    add_product(admin_db, shop.id, sku="T2", name="Linen Trousers")

    found = owner.get("/dashboard/products?q=denim&view=table").text

    assert 'class="rtable"' in found
    assert "Denim Jacket" in found and "Linen Trousers" not in found


# Orders and fulfilment


def test_orders_filter_by_payment_fulfilment_and_date(owner, shop, admin_db):
    chat = add_conversation(admin_db, shop.id, name="Filter Test")
    paid = add_order(admin_db, shop.id, chat, lines=[(None, "Paid Dress", "M", 1, 1000)])
    pending = add_order(
        admin_db, shop.id, chat, lines=[(None, "Pending Dress", "M", 1, 1500)], status="pending"
    )
    admin_db.execute(
        "UPDATE orders SET created_at = '2024-01-15 12:00+03' WHERE id = %s", (pending,)
    )

    only_paid = owner.get("/dashboard/orders?payment=paid").text
    only_january = owner.get("/dashboard/orders?from=2024-01-01&to=2024-01-31").text
    not_shipped = owner.get("/dashboard/orders?fulfilment=pending&payment=paid").text

    assert paid in only_paid and pending not in only_paid
    assert pending in only_january and paid not in only_january
    assert paid in not_shipped


def test_order_details_show_items_customer_delivery_and_mpesa(owner, shop, admin_db):
    chat = add_conversation(admin_db, shop.id, name="Detail Customer")
    order = add_order(
        admin_db, shop.id, chat, lines=[(None, "Floral Dress", "M", 2, 1800)], delivery_fee=250
    )

    page = owner.get(f"/dashboard/orders/{order}").text

    assert "Floral Dress" in page and "KES 3,600" in page and "KES 3,850" in page
    assert "Detail Customer" in page and "Argwings Kodhek" in page
    assert 'data-testid="mpesa-reference">MPX' in page
    assert 'data-testid="transaction-id">QGX' in page


def test_marking_shipped_then_delivered_tells_the_customer_once_each(owner, shop, admin_db, stack):
    chat = add_conversation(admin_db, shop.id, name="Wambui Njoroge")
    admin_db.execute(
        'UPDATE conversations SET metadata = \'{"language": "sw"}\' WHERE id = %s', (chat,)
    )
    order = add_order(admin_db, shop.id, chat, lines=[(None, "Kitenge Dress", "M", 1, 2500)])
    customer = customer_phone_of(admin_db, chat)

    owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "shipped"})
    again = owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "shipped"})
    owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "delivered"})
    owner.post(f"/dashboard/orders/{order}/fulfilment", {"status": "delivered"})

    bodies = [m["body"] for m in sandbox_messages(stack, customer)]
    row = admin_db.execute(
        "SELECT fulfillment_status, shipped_at, delivered_at FROM orders WHERE id = %s", (order,)
    ).fetchone()
    assert len(bodies) == 2
    assert "iko njiani" in bodies[0] and "Wambui" in bodies[0] and "Kitenge Dress M ×1" in bodies[0]
    assert "imefika" in bodies[1]
    assert "nothing sent again" in owner.get(again.location).text
    assert row["fulfillment_status"] == "delivered" and row["shipped_at"] and row["delivered_at"]


def test_an_unpaid_order_cannot_be_shipped_and_delivery_needs_shipping_first(
    owner, shop, admin_db, stack
):
    chat = add_conversation(admin_db, shop.id)
    unpaid = add_order(
        admin_db, shop.id, chat, lines=[(None, "Top", "M", 1, 900)], status="pending"
    )
    paid = add_order(admin_db, shop.id, chat, lines=[(None, "Skirt", "M", 1, 900)])

    not_paid = owner.post(f"/dashboard/orders/{unpaid}/fulfilment", {"status": "shipped"})
    assert "Only paid orders can be shipped" in owner.get(not_paid.location).text
    skipped = owner.post(f"/dashboard/orders/{paid}/fulfilment", {"status": "delivered"})
    assert "shipped before delivered" in owner.get(skipped.location).text
    assert sandbox_messages(stack, customer_phone_of(admin_db, chat)) == []


# Customers


def test_customers_show_orders_lifetime_value_sizes_and_colours(owner, shop, admin_db):
    chat = add_conversation(admin_db, shop.id, name="Loyal Customer")
    add_order(admin_db, shop.id, chat, lines=[(None, "Dress A", "M", 1, 2000)])
    add_order(admin_db, shop.id, chat, lines=[(None, "Dress B", "L", 1, 3000)])
    add_order(admin_db, shop.id, chat, lines=[(None, "Dress C", "XL", 1, 9000)], status="failed")

    listing = owner.get("/dashboard/customers").text
    page = owner.get(f"/dashboard/customers/{chat}").text

    assert "Loyal Customer" in listing and "KES 5,000" in listing
    row = listing[listing.index("Loyal Customer") :]
    row = row[: row.index("</tr>")] if "</tr>" in row else row
    assert "L, M" in row and "blue" in row and "XL" not in row  # a failed order's size is no habit
    assert "Dress A" in page and "Dress C" in page and "Payment failed" in page
    assert "Niaje, mna dresses?" in page  # the conversation


# Settings


def test_agent_personality_is_stored_where_the_agent_reads_it(owner, shop, admin_db):
    response = owner.post(
        "/dashboard/settings/agent",
        {
            "tone": "playful",
            "greeting": "Karibu sana!",
            "languages": ["en", "sheng"],
            "sign_off": "Tuko pamoja",
        },
    )

    settings = admin_db.execute(
        "SELECT settings FROM businesses WHERE id = %s", (shop.id,)
    ).fetchone()["settings"]
    assert response.status_code == 302
    assert settings["agent"] == {
        "tone": "playful",
        "greeting": "Karibu sana!",
        "languages": ["en", "sheng"],
        "sign_off": "Tuko pamoja",
    }


def test_delivery_fees_and_profile_are_saved(owner, shop, admin_db):
    from duka.orders.delivery import delivery_fee

    owner.post(
        "/dashboard/settings/delivery",
        {
            "zone_name": ["CBD", "Westlands", "Nairobi", ""],
            "zone_areas": ["Town", "Sarit", "Karen, Kilimani", ""],
            "zone_fee": ["150", "250", "300", ""],
            "zone_days": ["same day", "", "1", ""],
        },
    )
    owner.post(
        "/dashboard/settings/profile",
        {"name": "Nyota Boutique Ltd", "phone": "0722 000 111", "location": "Moi Avenue"},
    )

    row = admin_db.execute(
        "SELECT name, phone, settings FROM businesses WHERE id = %s", (shop.id,)
    ).fetchone()
    assert [z["name"] for z in row["settings"]["delivery"]["zones"]] == [
        "CBD",
        "Westlands",
        "Nairobi",
    ]
    assert delivery_fee(row["settings"], "Westlands") == 250
    assert delivery_fee(row["settings"], "Karen") == 300
    assert delivery_fee(row["settings"], "Kisumu") is None  # in no zone: the owner sets it
    assert row["name"] == "Nyota Boutique Ltd" and row["phone"] == "+254722000111"
    assert row["settings"]["profile"]["location"] == "Moi Avenue"


def test_shop_answers_are_saved_where_the_agent_reads_them(owner, shop, admin_db):
    response = owner.post(
        "/dashboard/settings/shop",
        {
            "directions": "Opposite Hilton, 2nd floor",
            "pickup": "yes",
            "pay_on_delivery": "",
            "returns": "Exchanges within 7 days.",
            "till": "123 456",
            "paybill": "",
            "pochi": "0712 345 678",
        },
    )
    page = owner.get("/dashboard/settings").text

    answers = admin_db.execute(
        "SELECT settings->'shop' AS s FROM businesses WHERE id = %s", (shop.id,)
    ).fetchone()["s"]
    assert response.status_code == 302
    assert answers["pickup"] is True and answers["pay_on_delivery"] is None  # None: not said
    assert answers["till"] == "123456" and answers["pochi"] == "+254712345678"
    assert answers["returns"] == "Exchanges within 7 days."
    assert "Opposite Hilton, 2nd floor" in page


def test_invalid_shop_answers_are_explained_and_not_saved(owner, shop, admin_db):
    response = owner.post(
        "/dashboard/settings/shop", {"till": "12ab", "paybill_account": "NYOTA", "pochi": "123"}
    )

    assert response.status_code == 422
    assert "5 to 7 digits" in response.text and "Add the Paybill number" in response.text
    settings = admin_db.execute(
        "SELECT settings FROM businesses WHERE id = %s", (shop.id,)
    ).fetchone()["settings"]
    assert "shop" not in settings


def test_payment_credentials_are_never_named_or_read_by_the_dashboard(
    owner, shop, admin_db, monkeypatch
):
    secret_name = f"boutique-{shop.id}-paylink"
    secret = '{"PAYLINK_API_KEY": "pk_live_SUPERSECRET", "PAYLINK_USERNAME": "nyota"}'
    monkeypatch.setenv(secret_name.upper().replace("-", "_"), secret)

    owner.post(
        "/dashboard/settings/payment",
        {"gateway": "paylink", "own_credentials": "yes", "credentials_secret": "boutique-x-daraja"},
    )
    page = owner.get("/dashboard/settings").text

    payment = admin_db.execute(
        "SELECT settings->'payment' AS p FROM businesses WHERE id = %s", (shop.id,)
    ).fetchone()["p"]
    assert payment == {"gateway": "paylink", "own_credentials": True}  # no name is typed
    assert 'name="credentials_secret"' not in page
    assert secret_name in page and "No payment prompt sent yet" in page
    assert "SUPERSECRET" not in page and "nyota" not in page


def test_invalid_settings_are_explained_and_not_saved(owner, shop, admin_db):
    response = owner.post("/dashboard/settings/agent", {"tone": "rude", "greeting": "x" * 400})

    assert response.status_code == 422
    assert "Choose a tone" in response.text and "at least one language" in response.text
    assert (
        "agent"
        not in admin_db.execute(
            "SELECT settings FROM businesses WHERE id = %s", (shop.id,)
        ).fetchone()["settings"]
    )
