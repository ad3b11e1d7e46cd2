"""The demand page in real headless Chromium at phone size: a customer asks on WhatsApp for
something the shop doesn't stock; the owner follows the Products page's link and sees it as a
topic with its count and her words, and switches the range. Screenshot:
docs/screenshots/phone-demand.png when DUKA_SCREENSHOTS_DIR is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from duka.demand.signals import price_band
from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import add_conversation
from tests.journeys import create_demo_boutique, customer_phone, say
from tests.test_dashboard_browser import (
    CHROMIUM,
    VIEWPORTS,
    admin,
    browser,
    dashboard_url,
    shoot,
    shots,
    sign_in,
)

__all__ = ["admin", "browser", "shots"]  # fixtures shared with the dashboard's browser tests

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")

# Earlier asks of the week, as turns record them: (garment, colour, size, ceiling, words).
EARLIER = [
    ("kitenge dress", None, "plus", 3000, "mna kitenge dress size kubwa chini ya elfu tatu?"),
    ("kitenge dress", None, "plus", 3000, "uko na dera ya kitenge plus size budget 3k"),
    ("top", "red", "XXL", None, "red top in XXL please"),
    ("jumpsuit", "green", None, 2000, "green jumpsuit under 2k"),
]


@pytest.fixture(scope="module")
def shop(stack: dict[str, str], admin: Any) -> dict[str, Any]:
    from duka.dashboard.owners import add_owner

    demo = create_demo_boutique()
    owner = random_kenyan_number()
    add_owner(demo["number"], owner)
    for garment, colour, size, ceiling, words in EARLIER:
        admin.execute(
            "INSERT INTO demand_signals (business_id, conversation_id, kind, garment, colour,"
            " size, max_price, price_band, words, outcome, created_at)"
            " VALUES (%s, %s, 'search', %s, %s, %s, %s, %s, %s, 'none', now() - interval '2 days')",
            (
                demo["id"],
                add_conversation(admin, demo["id"]),
                garment,
                colour,
                size,
                ceiling,
                price_band(ceiling),
                words,
            ),
        )
    return {**demo, "owner": owner}


@pytest.fixture(scope="module")
def page(browser: Any, stack: dict[str, str], shop: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(**VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, stack, shop["owner"])
    yield page
    context.close()


def test_the_owner_sees_what_customers_asked_for_that_she_does_not_stock(page, stack, shop, shots):
    phone = customer_phone(stack, shop["number"])
    say(phone, "do you have plus-size kitenge dresses under 3k?", timeout=90)

    page.goto(dashboard_url(stack, "products"))
    page.get_by_role("link", name="What customers asked for that you don't have").click()

    expect(page.get_by_role("heading", name="What customers asked for")).to_be_visible()
    topics = page.get_by_test_id("demand-topic")
    expect(topics.first.locator(".topic-title")).to_have_text(
        "plus-size kitenge dresses under 3k: 3 asks this week"
    )
    expect(topics.first).to_contain_text("do you have plus-size kitenge dresses under 3k?")
    expect(topics).to_have_count(3)
    shoot(page, shots, "phone", "demand")

    page.get_by_test_id("demand-ranges").get_by_role("link", name="90 days").click()
    expect(topics.first.locator(".topic-title")).to_have_text(
        "plus-size kitenge dresses under 3k: 3 asks in 90 days"
    )
