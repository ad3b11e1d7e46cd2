"""Interactive replies stay within WhatsApp's limits (Twilio Content API): quick reply ≤ 3
buttons of ≤ 20 characters; list picker ≤ 10 rows, titles ≤ 24, descriptions ≤ 72, ids ≤ 200,
body ≤ 1,024."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from duka.orchestrator import interactive as ix
from duka.orchestrator.facts import ShownProduct
from duka.orchestrator.interactive import Interactive, LimitExceeded, Option


def product(name: str, sizes: tuple[str, ...] = ("S", "M", "L")) -> ShownProduct:
    return ShownProduct(id=str(uuid.uuid4()), name=name, price=Decimal(2500), sizes=sizes)


@pytest.mark.parametrize("language", ["en", "sw"])
def test_every_button_set_fits_whatsapp(language: str):
    sets = [
        ix.pay_buttons(language),
        ix.greeting_buttons(language),
        ix.payment_failed_buttons(str(uuid.uuid4()), language),
    ]
    for buttons in sets:
        assert buttons.kind == "buttons" and len(buttons.options) <= ix.MAX_BUTTONS
        assert all(0 < len(o.title) <= ix.MAX_BUTTON_TITLE for o in buttons.options)


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_long_result_list_is_cut_to_ten_rows_with_short_titles(language: str):
    long_name = "Extra Long Hand-Embroidered Kitenge Wrap Maxi Dress With Pockets"
    sizes = tuple(f"EU {n}" for n in range(34, 50))
    products = [product(f"{long_name} {n}", sizes) for n in range(14)]

    picker = ix.product_list(products, language)

    assert picker.kind == "list" and len(picker.options) == ix.MAX_LIST_ITEMS
    assert 0 < len(picker.button) <= ix.MAX_LIST_BUTTON
    for row, shown in zip(picker.options, products, strict=False):
        assert len(row.title) <= ix.MAX_ITEM_TITLE and row.title.endswith("…")
        assert row.description is not None and len(row.description) <= ix.MAX_ITEM_DESCRIPTION
        assert row.description.startswith("KES 2,500")
        assert row.id == f"pick:{shown.id}" and len(row.id) <= ix.MAX_ID


def test_a_row_names_its_price_and_sizes():
    shown = product("Blue Floral Midi Dress")

    row = ix.product_list([shown], "en").options[0]

    assert (row.title, row.description) == ("Blue Floral Midi Dress", "KES 2,500 · sizes S, M, L")


def test_size_rows_carry_product_and_size():
    product_id = str(uuid.uuid4())

    sizes = ix.size_list(product_id, ["S", "M"], "sw")

    assert [o.id for o in sizes.options] == [f"size:{product_id}:S", f"size:{product_id}:M"]
    assert sizes.button == "Chagua size"


def test_the_body_is_cut_at_a_line_within_1024_characters():
    text = "\n".join(f"{n}. Some item - KES 2,500 (S, M, L)" for n in range(60))

    body = ix.pay_buttons("en").to_metadata(text)["body"]

    assert len(body) <= ix.MAX_BODY and text.startswith(body) and text[len(body)] == "\n"


@pytest.mark.parametrize(
    "make",
    [
        lambda: Interactive("buttons", tuple(Option(str(n), f"B{n}") for n in range(4))),
        lambda: Interactive("buttons", (Option("a", "x" * 21),)),
        lambda: Interactive("list", tuple(Option(str(n), "t") for n in range(11)), "See"),
        lambda: Interactive("list", (Option("a", "x" * 25),), "See"),
        lambda: Interactive("list", (Option("a", "t", "d" * 73),), "See"),
        lambda: Interactive("list", (Option("a" * 201, "t"),), "See"),
        lambda: Interactive("list", (Option("a", "t"),), ""),
        lambda: Interactive("buttons", (Option("a", "t"), Option("a", "u"))),
        lambda: Interactive("buttons", ()),
    ],
)
def test_what_whatsapp_would_refuse_is_refused_here(make):
    with pytest.raises(LimitExceeded):
        make()


def test_payloads_parse_and_unknown_actions_do_not():
    product_id = str(uuid.uuid4())

    parsed = ix.parse_payload(f"size:{product_id}:M")

    assert parsed is not None and (parsed.action, parsed.parts) == ("size", (product_id, "M"))
    assert ix.parse_payload("refund:all") is None
    assert ix.parse_payload("") is None
