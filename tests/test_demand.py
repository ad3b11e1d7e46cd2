"""The demand page: unmet asks grouped into topics (garment, colour, size, price band), counted
by asks and customers over 7, 30 or 90 days, with example messages; one boutique's only.

Signals are written to the database as a turn writes them (tests/turns/test_demand.py proves
the turn writes them); the owner reads the page signed in for real.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from duka.demand.signals import customer_words, garment_words, price_band
from duka.demand.topics import topic_title
from tests.dashboard_helpers import (
    OwnerClient,
    add_conversation,
    create_owned_boutique,
    signed_in_owner,
)


def ask(
    admin: Any,
    business_id: str,
    conversation: str,
    words: str,
    *,
    garment: str | None = "kitenge dress",
    colour: str | None = None,
    size: str | None = "plus",
    max_price: int | None = 3000,
    kind: str = "search",
    days_ago: int = 0,
) -> None:
    admin.execute(
        "INSERT INTO demand_signals (business_id, conversation_id, kind, garment, colour, size,"
        " max_price, price_band, words, outcome, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'none', now() - make_interval(days => %s))",
        (
            business_id,
            conversation,
            kind,
            garment,
            colour,
            size,
            max_price,
            price_band(max_price),
            words,
            days_ago,
        ),
    )


def topics_on(page: str) -> list[tuple[str, int, list[str]]]:
    """(heading, customers, examples) of each topic card, in page order."""
    found = []
    for card in re.findall(r'data-testid="demand-topic">(.*?)</div>', page, re.S):
        title = re.search(r'class="topic-title">(.*?)</h2>', card, re.S)
        customers = re.search(r'class="topic-customers">(\d+)<', card)
        assert title is not None and customers is not None
        examples = [html.unescape(e) for e in re.findall(r"<li>“(.*?)”</li>", card)]
        found.append((html.unescape(title.group(1)), int(customers.group(1)), examples))
    return found


@pytest.fixture()
def shop(admin_db) -> Any:
    return create_owned_boutique(admin_db, "Demand Boutique")


@pytest.fixture()
def owner(stack, admin_db, shop) -> Iterator[OwnerClient]:
    with signed_in_owner(stack, admin_db, shop.id) as client:
        yield client


def test_asks_are_grouped_into_topics_with_counts_examples_and_a_range(
    stack, admin_db, shop, owner
):
    b = shop.id
    wanjiku, akinyi, njeri = (add_conversation(admin_db, b) for _ in range(3))
    ask(admin_db, b, wanjiku, "plus size kitenge dress under 3k?", days_ago=1)
    ask(admin_db, b, wanjiku, "any kitenge dress XXL below 3000", days_ago=2)
    ask(admin_db, b, akinyi, "mna kitenge dress size kubwa chini ya elfu tatu", days_ago=3)
    ask(admin_db, b, njeri, "uko na dera ya kitenge plus size budget 3k", days_ago=5)
    for who in (wanjiku, akinyi):
        ask(
            admin_db,
            b,
            who,
            "red top size XXL",
            garment="top",
            colour="red",
            size="XXL",
            max_price=None,
            kind="photo",
        )
    ask(
        admin_db,
        b,
        njeri,
        "green jumpsuit",
        garment="jumpsuit",
        colour="green",
        size=None,
        max_price=None,
        days_ago=20,
    )

    week = topics_on(owner.get("/dashboard/demand/").text)
    month = topics_on(owner.get("/dashboard/demand/?days=30").text)

    assert [(title, customers) for title, customers, _ in week] == [
        ("plus-size kitenge dresses under 3k: 4 asks this week", 3),
        ("red tops in size XXL: 2 asks this week", 2),
    ]
    assert week[0][2] == [
        "plus size kitenge dress under 3k?",
        "any kitenge dress XXL below 3000",
        "mna kitenge dress size kubwa chini ya elfu tatu",
    ]
    assert [title for title, _, _ in month][-1] == "green jumpsuits: 1 ask in 30 days"


def test_another_boutiques_asks_never_show(stack, admin_db, shop, owner):
    other = create_owned_boutique(admin_db, "Other Boutique")
    ask(
        admin_db,
        other.id,
        add_conversation(admin_db, other.id),
        "pink wedding gown size 20",
        garment="gown",
        colour="pink",
        size="20",
    )

    page = owner.get("/dashboard/demand/?days=90").text

    assert topics_on(page) == [] and 'data-testid="demand-empty"' in page
    assert "pink wedding gown" not in page


def test_the_products_page_links_to_the_demand_page(stack, owner):
    page = owner.get("/dashboard/products").text

    assert "What customers asked for that you don" in html.unescape(page)
    assert 'href="/dashboard/demand/"' in page


def test_price_bands_titles_and_words_never_keep_a_phone_number():
    assert [price_band(p) for p in (None, 800, 1000, 2500, 3000, 3001, 9000)] == [
        None,
        "under-1k",
        "under-1k",
        "2-3k",
        "2-3k",
        "3-5k",
        "5k+",
    ]
    assert (
        topic_title("kitenge dress", None, "plus", "2-3k") == "plus-size kitenge dresses under 3k"
    )
    assert topic_title(None, "black", "M", "5k+") == "black items in size M at 5k and up"
    assert garment_words(("dress", "kitenge")) == garment_words(("kitenge", "dress"))
    assert topic_title(garment_words(("dress", "kitenge")), "red", None, None) == (
        "red kitenge dresses"
    )
    assert topic_title("ankara", None, None, "under-1k") == "ankara pieces under 1k"
    words = customer_words("  red dress,\n call me 0712 345 678 ")
    assert words == "red dress, call me …" and "0712" not in words
