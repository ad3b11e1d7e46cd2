"""The Settings page's Follow-ups section in real headless Chromium at phone size: the owner
switches the try-again offer off and makes the cart reminder wait two hours, saves, and sees
what she saved; a delay out of bounds is refused and nothing changes. Screenshot:
docs/screenshots/phone-settings-follow-ups.png when DUKA_SCREENSHOTS_DIR is set
(tests/test_dashboard_browser.py's convention).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import random_kenyan_number
from tests.journeys import create_demo_boutique
from tests.test_dashboard_browser import (
    CHROMIUM,
    SCROLL_BELOW_HEADER,
    VIEWPORTS,
    admin,
    browser,
    dashboard_url,
    shots,
    sign_in,
)

__all__ = ["admin", "browser", "shots"]  # fixtures shared with the dashboard's browser tests

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")


@pytest.fixture(scope="module")
def shop(stack: dict[str, str]) -> dict[str, Any]:
    from duka.dashboard.owners import add_owner

    demo = create_demo_boutique()
    owner = random_kenyan_number()
    add_owner(demo["number"], owner)
    return {**demo, "owner": owner}


@pytest.fixture(scope="module")
def page(browser: Any, stack: dict[str, str], shop: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(**VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, stack, shop["owner"])
    yield page
    context.close()


def saved_follow_ups(admin: Any, business_id: str) -> Any:
    row = admin.execute(
        "SELECT settings->'follow_ups' AS rules FROM businesses WHERE id = %s", (business_id,)
    ).fetchone()
    return row["rules"]


def test_the_owner_switches_follow_ups_and_changes_the_delay(page, stack, shop, admin, shots):
    page.goto(dashboard_url(stack, "settings"))
    section = page.locator("#follow-ups")
    expect(section.get_by_role("heading", name="Follow-ups")).to_be_visible()
    cart_on = section.get_by_label("Remind a customer who left items in her cart")
    prompt_on = section.get_by_label("Offer to try again when an M-Pesa payment failed")
    expect(cart_on).to_be_checked()  # on by default: an hour, and half an hour
    expect(prompt_on).to_be_checked()
    expect(section.get_by_label("Send the reminder after (minutes of quiet)")).to_have_value("60")
    expect(section.get_by_label("Send the offer after (minutes)")).to_have_value("30")

    section.get_by_label("Send the reminder after (minutes of quiet)").fill("120")
    prompt_on.uncheck()
    section.get_by_role("button", name="Save follow-ups").click()

    section = page.locator("#follow-ups")
    expect(section.get_by_role("status")).to_have_text("Saved ✓")
    expect(section.get_by_label("Send the reminder after (minutes of quiet)")).to_have_value("120")
    expect(prompt_on).not_to_be_checked()
    assert saved_follow_ups(admin, shop["id"]) == {
        "cart": {"on": True, "delay_minutes": 120},
        "prompt": {"on": False, "delay_minutes": 30},
    }
    section.evaluate(SCROLL_BELOW_HEADER)
    page.screenshot(path=str(shots / "phone-settings-follow-ups.png"))

    section.get_by_label("Send the offer after (minutes)").evaluate(
        "(el) => el.removeAttribute('min')"
    )
    section.get_by_label("Send the offer after (minutes)").fill("1")
    section.get_by_role("button", name="Save follow-ups").click()

    expect(page.get_by_text("Try-again offer: wait from 5 to 10080 minutes.")).to_be_visible()
    assert saved_follow_ups(admin, shop["id"])["prompt"] == {"on": False, "delay_minutes": 30}
