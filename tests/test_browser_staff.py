"""Staff accounts in real headless Chromium at phone size: the owner adds a helper from
Settings → Staff, the helper signs in with their own phone, lands on Chats and sees only the
tabs they may open; Settings answers 403. Screenshots (docs/screenshots/ when
DUKA_SCREENSHOTS_DIR is set): phone-staff.png, phone-staff-nav.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import (
    OwnedBoutique,
    add_conversation,
    create_owned_boutique,
    latest_code,
)
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


@pytest.fixture(scope="module")
def shop(stack: dict[str, str], admin: Any) -> OwnedBoutique:
    shop = create_owned_boutique(admin, name="Nyota Boutique")
    add_conversation(admin, shop.id, name="Akinyi Odhiambo", messages=[("customer", "Iko M?")])
    add_conversation(
        admin,
        shop.id,
        name="Fatuma Hassan",
        messages=[("customer", "Naweza ongea na mtu?")],
        status="handed_over",
        metadata={"needs_attention": True},
    )
    return shop


@pytest.fixture(scope="module")
def helper() -> str:
    return random_kenyan_number()


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(**VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    yield context
    context.close()


def test_the_owner_adds_a_staff_member_from_settings(context, stack, shop, helper, shots):
    page = context.new_page()
    sign_in(page, stack, shop.owner)
    page.goto(dashboard_url(stack, "settings"))
    page.get_by_role("link", name="Manage staff").click()

    page.get_by_label("Their phone number").fill("0" + helper[4:7] + " " + helper[7:])
    page.get_by_role("button", name="Add staff").click()

    people = page.get_by_test_id("staff-list").get_by_role("listitem")
    expect(people).to_have_count(2)
    expect(people.nth(0)).to_contain_text("Owner")
    expect(people.nth(0)).to_contain_text("(you)")
    expect(people.nth(1)).to_contain_text(f"{helper[4:7]} {helper[7:10]} {helper[10:]}")
    expect(people.nth(1)).to_contain_text("Staff")
    expect(people.nth(1).get_by_role("button", name="Remove")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("can now sign in")
    shoot(page, shots, "phone", "staff")
    page.close()


def test_staff_land_on_chats_and_see_only_their_tabs(browser, stack, helper, shots):
    staff = browser.new_context(**VIEWPORTS["phone"])
    staff.set_default_timeout(15_000)
    page = staff.new_page()
    page.goto(dashboard_url(stack))
    page.get_by_label("Your WhatsApp number").fill("0" + helper[4:])
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code").fill(latest_code(stack, helper))
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Chats")).to_be_visible()
    tabs = page.get_by_role("navigation", name="Sections").get_by_role("link")
    expect(tabs).to_have_text(["Chats 1", "Products", "Orders", "Customers"])
    expect(page.locator(".brand")).to_have_attribute("href", "/dashboard/conversations")
    shoot(page, shots, "phone", "staff-nav")

    page.goto(dashboard_url(stack, "settings"))
    expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
    expect(page.get_by_text("Ask the shop's owner")).to_be_visible()
    page.get_by_role("link", name="Back to the chats").click()
    expect(page.get_by_role("heading", name="Chats")).to_be_visible()
    staff.close()
