"""Inbox tools in real headless Chromium at phone size: the owner keeps a saved reply, types "/"
in a chat's reply box, picks it and sends it; tags a customer and writes a private note; reads
the audit log. Screenshots (docs/screenshots/ when DUKA_SCREENSHOTS_DIR is set):
phone-saved-replies.png, phone-customer-notes.png, phone-audit-log.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dashboard_helpers import OwnedBoutique, add_conversation, create_owned_boutique
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
def shop(stack: dict[str, str], admin: Any) -> OwnedBoutique:
    return create_owned_boutique(admin, name="Nyota Boutique")


@pytest.fixture(scope="module")
def chat(admin: Any, shop: OwnedBoutique) -> str:
    """A chat the owner has taken over: the customer asks when the shop closes."""
    return add_conversation(
        admin,
        shop.id,
        name="Akinyi Odhiambo",
        messages=[("customer", "Habari! Mnafunga saa ngapi leo?")],
        status="handed_over",
    )


@pytest.fixture(scope="module")
def page(browser: Any, stack: dict[str, str], shop: OwnedBoutique) -> Iterator[Any]:
    context = browser.new_context(**VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, stack, shop.owner)
    yield page
    context.close()


def test_typing_slash_in_the_reply_box_inserts_a_saved_reply(page, stack, chat, shots):
    page.goto(dashboard_url(stack, "settings"))
    page.get_by_role("link", name="Saved replies").click()
    for shortcut, text in (("hours", "We are open 9-7, Mon-Sat"), ("mpesa", "Till 123456")):
        page.get_by_label("Shortcut").fill(shortcut)
        page.get_by_label("Reply", exact=True).fill(text)
        page.get_by_role("button", name="Save reply").click()
    expect(page.get_by_test_id("saved-replies")).to_contain_text("/hours")

    page.goto(dashboard_url(stack, f"conversations/{chat}"))
    box = page.get_by_label("Your reply")
    box.press_sequentially("Karibu! /h")
    picker = page.get_by_role("list", name="Saved replies")
    expect(picker.get_by_role("link", name="/hours")).to_be_visible()
    expect(picker.get_by_role("link", name="/mpesa")).to_be_hidden()
    box.evaluate(SCROLL_BELOW_HEADER)
    page.screenshot(path=str(shots / "phone-saved-replies.png"))

    picker.get_by_role("link", name="/hours").click()
    expect(box).to_have_value("Karibu! We are open 9-7, Mon-Sat")
    expect(picker).to_be_hidden()
    box.press_sequentially(" 🙂")  # she edits it before sending
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.locator("#timeline")).to_contain_text("Karibu! We are open 9-7, Mon-Sat 🙂")
    box = page.get_by_label("Your reply")
    box.press_sequentially("/mp")
    picker = page.get_by_role("list", name="Saved replies")  # on the page the send reloaded
    expect(picker.get_by_role("link", name="/mpesa")).to_be_visible()  # seen, as she would
    box.press("Enter")  # picks the one reply shown; it does not send "/mp"
    expect(box).to_have_value("Till 123456")


def test_the_owner_tags_a_customer_and_writes_a_private_note(page, stack, chat, shots):
    page.goto(dashboard_url(stack, f"customers/{chat}"))
    tags = page.locator("#tags")
    for tag in ("VIP", "wholesale"):
        tags.get_by_label("New tag").fill(tag)
        tags.get_by_role("button", name="Add tag").click()
    notes = page.locator("#notes")
    notes.get_by_label("New note").fill("Buys for her shop in Kisumu; pays on Fridays.")
    notes.get_by_role("button", name="Add note").click()

    expect(page.locator("#tags").get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_test_id("notes")).to_contain_text("pays on Fridays")
    page.locator("#tags").evaluate(SCROLL_BELOW_HEADER)
    page.screenshot(path=str(shots / "phone-customer-notes.png"))

    page.goto(dashboard_url(stack, "customers?tag=VIP"))
    expect(page.get_by_role("link", name="Akinyi Odhiambo")).to_be_visible()


def test_the_audit_log_shows_who_did_what(page, stack, shop, shots):
    page.goto(dashboard_url(stack, "settings"))
    page.get_by_role("link", name="Audit log").click()

    log = page.get_by_test_id("audit-log")
    expect(log.locator("li").first).to_contain_text("wrote a private note")
    expect(log).to_contain_text("sent a reply")
    expect(log).to_contain_text("added a saved reply")
    page.screenshot(path=str(shots / "phone-audit-log.png"))
