"""Interactive replies and taps in-process: which replies carry a list or buttons, and how a
tap is routed by its payload, checked against the conversation's state (valid, stale, forged),
in English and Swahili."""

from __future__ import annotations

import uuid

import psycopg

from tests.turns.chat import Chat, Shop, owner_settings


def picked_dress(chat: Chat, search: str = "blue floral midi dress") -> str:
    """Search, then tap the Blue Floral Midi Dress (S, M, L) in the list; returns its id."""
    chat.say(search)
    row = next(o for o in chat.options() if o["title"] == "Blue Floral Midi Dress")
    chat.press(row["id"], row["title"])
    return row["id"].split(":", 1)[1]


def test_search_results_come_as_a_list_picker_with_price_and_sizes(chat: Chat):
    reply = chat.say("show me dresses")

    assert chat.last is not None and chat.last.interactive is not None
    assert chat.last.interactive.kind == "list"
    rows = chat.options()
    assert len(rows) >= 2
    for number, row in enumerate(rows, 1):
        assert row["id"].startswith("pick:")
        assert f"{number}. {row['title']}" in reply  # the text keeps the numbered fallback
        assert row["description"].startswith("KES ")


def test_a_picked_item_offers_its_sizes_in_stock_as_a_list(chat: Chat):
    product_id = picked_dress(chat)

    assert chat.last is not None and chat.last.record["intent"] == "add_to_cart"
    assert [r["id"] for r in chat.options()] == [f"size:{product_id}:{s}" for s in "SML"]
    assert chat.conversation()["metadata"]["awaiting"] == "size"


def test_a_size_tap_adds_to_the_cart_and_offers_pay_or_edit(chat: Chat):
    picked_dress(chat)

    reply = chat.tap(2)

    assert "Blue Floral Midi Dress (size M)" in reply
    assert [r["id"] for r in chat.options()] == ["pay", "cart"]
    assert [r["title"] for r in chat.options()] == ["Pay with M-Pesa", "Edit cart"]
    cart = chat.conversation()["metadata"]["cart"]
    assert [(i["name"], i["size"]) for i in cart["items"]] == [("Blue Floral Midi Dress", "M")]


def test_pay_with_mpesa_goes_to_checkout_and_edit_cart_shows_the_cart(chat: Chat):
    picked_dress(chat)
    chat.tap(1)

    edit = chat.tap(2)
    assert "Blue Floral Midi Dress" in edit and "make it 2" in edit
    pay = chat.press("pay", "Pay with M-Pesa")

    assert chat.last is not None and chat.last.record["intent"] == "checkout"
    assert "deliver" in pay.lower()
    assert chat.conversation()["metadata"]["awaiting"] == "delivery_address"


def test_a_greeting_offers_browse_my_order_and_a_person(chat: Chat):
    chat.say("hi")
    assert [r["title"] for r in chat.options()] == ["Browse", "My order", "Talk to a person"]

    browsed = chat.tap(1)

    assert chat.last is not None and chat.last.record["intent"] == "browse"
    assert 2 <= len(chat.options()) <= 10 and "1. " in browsed


def test_swahili_greeting_and_size_buttons_speak_swahili(chat: Chat):
    chat.say("habari")
    assert [r["title"] for r in chat.options()] == ["Angalia bidhaa", "Oda yangu", "Ongea na mtu"]

    picked_dress(chat, "nataka gauni la blue floral midi")
    reply = chat.tap(1)

    assert "Nimeongeza" in reply
    assert [r["title"] for r in chat.options()] == ["Lipa kwa M-Pesa", "Badilisha cart"]


def test_talk_to_a_person_tap_hands_over_without_classification(chat: Chat):
    chat.say("hi")

    chat.tap(3)

    assert chat.conversation()["status"] == "handed_over"


def test_a_size_no_longer_in_stock_is_stale_and_changes_nothing(chat: Chat):
    product_id = picked_dress(chat)
    with psycopg.connect(chat.db.admin, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO product_stock (business_id, product_id, size, stock)"
            " VALUES (%s, %s, 'M', 0), (%s, %s, 'S', 2), (%s, %s, 'L', 2)"
            " ON CONFLICT (product_id, size) DO UPDATE SET stock = EXCLUDED.stock",
            (chat.shop.id, product_id) * 3,
        )
    try:
        reply = chat.press(f"size:{product_id}:M", "M")
        assert "no longer available" in reply
        assert [r["id"] for r in chat.options()] == [f"size:{product_id}:{s}" for s in "SL"]
        assert "cart" not in chat.conversation()["metadata"]
    finally:
        with psycopg.connect(chat.db.admin, autocommit=True) as conn:
            conn.execute("DELETE FROM product_stock WHERE product_id = %s", (product_id,))


def test_a_tap_on_an_old_list_is_stale_and_offers_the_current_one(chat: Chat):
    chat.say("blue floral midi dress")
    old = chat.options()
    chat.say("denim jacket")
    current = chat.options()
    gone = next(r for r in old if r["id"] not in {c["id"] for c in current})

    reply = chat.press(gone["id"], gone["title"])

    assert "no longer available" in reply
    assert chat.options() == current
    assert "cart" not in chat.conversation()["metadata"]


def test_forged_payloads_do_nothing_harmful(chat: Chat):
    product_id = picked_dress(chat)
    forged = [
        (f"pick:{uuid.uuid4()}", "Free Dress"),  # a product never shown
        (f"size:{product_id}:XXXL", "XXXL"),  # a size the product does not offer
        ("size:not-a-uuid:M", "M"),
        ("pay", "Pay with M-Pesa"),  # nothing in the cart
        (f"retry:{uuid.uuid4()}", "Try again"),  # not this chat's order
        ("refund:everything", "Refund"),  # an action we never send
        ("pick:" + "x" * 500, "?"),
    ]
    for payload, title in forged:
        reply = chat.press(payload, title)
        assert "no longer available" in reply, payload
        assert chat.last is not None and chat.last.record["intent"] == "tap_stale"
    metadata = chat.conversation()["metadata"]
    assert "cart" not in metadata and metadata["awaiting"] == "size"
    assert chat.orders() == 0


def test_a_forged_swahili_tap_is_refused_in_swahili(chat: Chat):
    chat.say("nataka gauni")

    reply = chat.press(f"pick:{uuid.uuid4()}", "Gauni")

    assert "Pole, chaguo hilo halipatikani tena." in reply
    assert chat.options()[0]["id"].startswith("pick:")


def test_typed_text_still_works_after_an_interactive_reply(chat: Chat):
    picked_dress(chat)

    reply = chat.say("L")

    assert "Blue Floral Midi Dress (size L)" in reply
    reply = chat.say("checkout")
    assert "deliver" in reply.lower()


def test_try_again_after_a_failed_payment_prompts_the_same_order(chat: Chat):
    picked_dress(chat)
    chat.tap(1)
    chat.press("pay", "Pay with M-Pesa")
    chat.say("Kilimani, Argwings Kodhek Rd")  # no gateway in this tier: the prompt fails
    order_id = _fail_latest_order(chat)

    stale = chat.press(f"retry:{uuid.uuid4()}", "Try again")
    assert "no longer available" in stale
    chat.press(f"retry:{order_id}", "Try again")

    assert chat.last is not None and chat.last.record["intent"] == "retry_payment"
    assert chat.conversation()["metadata"].get("awaiting") != "delivery_address"


def _fail_latest_order(chat: Chat) -> str:
    """The chat's order as a cancelled M-Pesa prompt leaves it, and the state pointing at it."""
    conversation = chat.conversation()
    with psycopg.connect(chat.db.admin, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO orders (business_id, conversation_id, customer_phone, amount, status,"
            " pay_phone, delivery_info) VALUES (%s, %s, %s, 2800, 'failed', %s, '{}')"
            " RETURNING id",
            (chat.shop.id, conversation["id"], chat.phone, chat.phone),
        ).fetchone()
        assert row is not None
        metadata = dict(conversation["metadata"])
        metadata["order_id"] = str(row[0])
        metadata["last_delivery"] = {"address": "Kilimani, Argwings Kodhek Rd", "fee_kes": 300}
        metadata.pop("delivery", None)
        conn.execute(
            "UPDATE conversations SET metadata = %s::jsonb WHERE id = %s",
            (psycopg.types.json.Jsonb(metadata), conversation["id"]),
        )
    return str(row[0])


def test_the_address_question_offers_last_time_and_pickup_when_the_shop_allows_it(
    chat: Chat, demo: Shop
):
    with owner_settings(chat.db, demo, {"shop": {"pickup": True}}):
        picked_dress(chat)
        chat.tap(1)
        chat.press("pay", "Pay with M-Pesa")
        assert [r["id"] for r in chat.options()] == ["addr:pickup"]
        _fail_latest_order(chat)  # a previous order whose address was Kilimani

        chat.press("pay", "Pay with M-Pesa")
        assert [r["title"] for r in chat.options()] == ["Same as last time", "Pick up at the shop"]
        chat.tap(1)

    assert chat.last is not None and chat.last.record["intent"] == "same_address"
    assert chat.conversation()["metadata"].get("awaiting") != "delivery_address"


def test_pickup_is_refused_when_the_shop_does_not_offer_it(chat: Chat):
    picked_dress(chat)
    chat.tap(1)
    chat.press("pay", "Pay with M-Pesa")
    assert chat.last is not None and chat.last.interactive is None  # a new customer types it

    reply = chat.press("addr:pickup", "Pick up at the shop")

    assert "no longer available" in reply and "Where should we deliver" in reply
    assert chat.conversation()["metadata"]["awaiting"] == "delivery_address"
