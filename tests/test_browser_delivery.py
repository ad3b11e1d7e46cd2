"""Delivery set-up and dispatch in real headless Chromium at phone size: the owner adds a zone,
imports pickup points from a CSV (a bad row named by its number), and ships an order with the
courier and tracking link. Screenshots (DUKA_SCREENSHOTS_DIR): docs/screenshots/
phone-delivery-settings.png, phone-pickup-points.png, phone-order-dispatch.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dashboard_helpers import (
    OwnedBoutique,
    add_conversation,
    add_order,
    create_owned_boutique,
)
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

CSV = (
    "name,area,directions,hours,fee\n"
    "Sarit Centre agent,Westlands,Ground floor by the pharmacy,Daily 9-8,100\n"
    "Yaya Centre locker,Kilimani,Lower ground parcel desk,24h,120\n"
    "TRM parcel desk,Roysambu,Thika Road Mall level 1,Daily 10-8,150\n"
    "Junction agent,Ngong Road,,,free\n"
)


@pytest.fixture(scope="module")
def shop(stack: dict[str, str], admin: Any) -> OwnedBoutique:
    return create_owned_boutique(admin)


@pytest.fixture(scope="module")
def page(browser: Any, stack: dict[str, str], shop: OwnedBoutique) -> Iterator[Any]:
    context = browser.new_context(**VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, stack, shop.owner)
    yield page
    context.close()


def _shoot_card(page: Any, shots: Path, name: str, selector: str) -> None:
    """The section in view, below the sticky header (the page's top is another section)."""
    page.locator(selector).evaluate(SCROLL_BELOW_HEADER)
    page.screenshot(path=str(shots / f"phone-{name}.png"))


def test_the_owner_adds_a_delivery_zone(page, stack, shop, admin, shots):
    page.goto(dashboard_url(stack, "settings"))
    card = page.locator("#delivery")
    card.get_by_role("button", name="Add a zone").click()
    zones = card.get_by_test_id("zone")
    last = zones.last
    last.get_by_label("Zone").fill("Coast")
    last.get_by_label("Areas, separated by commas").fill("Mtwapa, Watamu")
    last.get_by_label("Fee (KES)").fill("600")
    last.get_by_label("Days").fill("2-3")
    last.get_by_label("Pay on delivery").select_option("yes")
    card.get_by_role("button", name="Save delivery zones").click()

    expect(page.locator("#delivery")).to_contain_text("Saved")
    expect(page.locator("#delivery input[value='Coast']")).to_have_count(1)
    _shoot_card(page, shots, "delivery-settings", "#delivery")
    settings = admin.execute("SELECT settings FROM businesses WHERE id = %s", (shop.id,)).fetchone()
    coast = settings["settings"]["delivery"]["zones"][-1]
    assert coast == {
        "name": "Coast",
        "areas": ["Mtwapa", "Watamu"],
        "fee_kes": 600,
        "days": "2-3",
        "pay_on_delivery": True,
    }
    row = zones.filter(has=page.locator("input[value='Coast']"))
    chosen = row.get_by_label("Pay on delivery")
    expect(chosen).to_have_value("yes")  # the saved zone shows its choice again


def test_the_owner_imports_pickup_points_and_sees_the_bad_row(page, stack, shots):
    page.goto(dashboard_url(stack, "settings"))
    page.get_by_test_id("pickup-points-link").click()
    expect(page.get_by_role("heading", name="Pickup points", exact=True)).to_be_visible()

    page.locator("#import-points input[type=file]").set_input_files(
        {"name": "points.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    page.get_by_role("button", name="Import pickup points").click()

    expect(page.get_by_test_id("import-result")).to_contain_text("Saved 3 pickup points")
    expect(page.get_by_test_id("import-errors")).to_contain_text("Row 5: the fee 'free'")
    expect(page.get_by_test_id("pickup-points").locator("li")).to_have_count(3)
    page.screenshot(path=str(shots / "phone-pickup-points.png"))


def test_the_owner_ships_with_the_courier_and_tracking_link(page, stack, shop, admin, shots):
    conversation = add_conversation(admin, shop.id, name="Achieng Otieno")
    order = add_order(admin, shop.id, conversation, lines=[(None, "Kitenge Maxi", "M", 1, 2500)])
    page.goto(dashboard_url(stack, f"orders/{order}"))
    card = page.locator("#fulfilment")
    card.get_by_label("Courier (optional)").fill("G4S")
    card.get_by_label("Tracking number or link (optional)").fill("https://g4s.example/t/WF123")
    _shoot_card(page, shots, "order-dispatch", "#fulfilment")

    card.get_by_role("button", name="Mark shipped and tell the customer").click()

    expect(page.get_by_test_id("tracking")).to_contain_text("G4S")
    expect(page.get_by_role("link", name="Track the parcel")).to_have_attribute(
        "href", "https://g4s.example/t/WF123"
    )
    notice = admin.execute(
        "SELECT content FROM messages WHERE conversation_id = %s"
        " AND metadata->>'notice' = 'order_shipped'",
        (conversation,),
    ).fetchone()
    assert "Courier: G4S. Tracking: https://g4s.example/t/WF123" in notice["content"]
