"""Broadcasts in real headless Chromium at phone size: the owner picks products and an audience,
sees each card as the customer will, sends, and reads the report once the stack's `broadcasts`
job has sent it. Screenshots: docs/screenshots/phone-broadcast-new.png and
phone-broadcast-report.png when DUKA_SCREENSHOTS_DIR is set (tests/test_dashboard_browser.py's
convention).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import add_conversation, add_order
from tests.journeys import create_demo_boutique
from tests.payments_support import wait_until
from tests.test_dashboard_browser import (
    CHROMIUM,
    SCROLL_BELOW_HEADER,
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
CUSTOMERS = [  # name, what she bought, size: each agreed to offers
    ("Achieng Otieno", "NY-D001", "M"),
    ("Fatuma Hassan", "NY-D002", "S"),
    ("Njeri Mwangi", "NY-D001", "L"),
]


@pytest.fixture(scope="module")
def shop(stack: dict[str, str], admin: Any) -> dict[str, Any]:
    """The demo boutique, three dress customers who opted in, and its owner."""
    from duka.dashboard.owners import add_owner

    demo = create_demo_boutique()
    owner = random_kenyan_number()
    add_owner(demo["number"], owner)
    for name, sku, size in CUSTOMERS:
        item = admin.execute(
            "SELECT id, name, price FROM products WHERE business_id = %s AND sku = %s",
            (demo["id"], sku),
        ).fetchone()
        chat = add_conversation(admin, demo["id"], name=name, messages=[("customer", "Asante!")])
        add_order(admin, demo["id"], chat, lines=[(str(item["id"]), item["name"], size, 1, 2500)])
        admin.execute(
            "INSERT INTO consent_events (business_id, customer_phone, kind, source)"
            " SELECT business_id, customer_phone, 'opt_in', 'chat_keyword' FROM conversations"
            " WHERE id = %s",
            (chat,),
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


def test_the_owner_previews_a_broadcast_as_customers_will_see_it_and_reads_its_report(
    page, stack, shop, admin, shots
):
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Broadcast").click()
    page.get_by_role("link", name="New broadcast").click()
    page.get_by_label("Name (only you see it)").fill("New dresses")
    page.get_by_label("Blue Floral Midi Dress", exact=False).check()
    page.get_by_label("Red Bodycon Dress", exact=False).check()
    page.get_by_label("Bought from this category").select_option("dress")
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("#preview")
    expect(preview.locator(".audience-count")).to_have_text("3")
    expect(preview.locator(".wa-card").first).to_contain_text(
        "New at Nyota Boutique: Blue Floral Midi Dress, now KES 2,500."
    )
    expect(preview.locator(".wa-button").first).to_have_text("Shop now")
    page.wait_for_function("() => Array.from(document.images).every((i) => i.complete)")
    preview.evaluate(SCROLL_BELOW_HEADER)
    page.screenshot(path=str(shots / "phone-broadcast-new.png"))

    page.get_by_role("button", name="Send to 3 customers").click()
    expect(page.get_by_role("heading", name="New dresses")).to_be_visible()
    broadcast_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    wait_until(  # the stack's own `broadcasts` tick sends it
        lambda: (
            admin.execute(
                "SELECT status FROM broadcasts WHERE id = %s", (broadcast_id,)
            ).fetchone()["status"]
            == "done"
        ),
        timeout=30,
    )
    first = admin.execute(
        "SELECT customer_phone, conversation_id, message_id FROM broadcast_recipients"
        " WHERE broadcast_id = %s ORDER BY id LIMIT 1",
        (broadcast_id,),
    ).fetchone()
    wait_until(  # she reads it once it has reached her phone (delivered, asynchronously)
        lambda: (
            httpx.post(
                stack["TWILIO_API_BASE_URL"] + "/_sandbox/read",
                json={"to": first["customer_phone"]},
            ).json()["read"]
            > 0
        )
    )
    wait_until(  # and Twilio's "read" callback for her first card has been recorded
        lambda: (
            admin.execute(
                "SELECT 1 FROM message_statuses WHERE message_id = %s AND status = 'read'",
                (first["message_id"],),
            ).fetchone()
            is not None
        )
    )
    order = add_order(
        admin, shop["id"], str(first["conversation_id"]), lines=[(None, "x", "M", 1, 1800)]
    )
    admin.execute(
        "UPDATE orders SET source = 'broadcast', source_ref = %s WHERE id = %s",
        (broadcast_id, order),
    )

    page.goto(dashboard_url(stack, f"broadcasts/{broadcast_id}"))
    figures = page.locator(".report-figures")
    expect(figures.locator(".stat").filter(has_text="Read").locator(".value")).to_have_text("1")
    expect(figures.locator(".stat").filter(has_text="Sent").locator(".value")).to_have_text("3")
    expect(figures.locator(".stat").filter(has_text="Orders")).to_contain_text("KES 1,800")
    shoot(page, shots, "phone", "broadcast-report")

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Broadcast").click()
    expect(page.get_by_role("link", name="New dresses")).to_be_visible()
    shoot(page, shots, "phone", "broadcasts")
