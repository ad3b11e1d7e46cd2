"""Data protection in real headless Chromium at phone size: a customer opens the shop's privacy
notice; the owner sets the retention and edits the notice in Settings; downloads a customer's
data and deletes it from her page, and finds both under Customers → Data requests.
A customer opens the download link the agent sent her. Screenshots (docs/screenshots/ when
DUKA_SCREENSHOTS_DIR is set): phone-privacy-notice.png, phone-privacy-settings.png,
phone-data-requests.png, phone-my-data.png.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from duka.privacy import requests
from tests.dashboard_helpers import OwnedBoutique, add_conversation, create_owned_boutique
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


@pytest.fixture(scope="module")
def shop(stack: dict[str, str], admin: Any) -> OwnedBoutique:
    return create_owned_boutique(admin, name="Nyota Boutique")


@pytest.fixture(scope="module")
def customer(admin: Any, shop: OwnedBoutique) -> str:
    return add_conversation(
        admin,
        shop.id,
        name="Wairimu Njoroge",
        messages=[("customer", "=1+1 mna kitenge ya 2k?"), ("agent", "Ndio, tuko nazo.")],
    )


@pytest.fixture(scope="module")
def page(browser: Any, stack: dict[str, str], shop: OwnedBoutique) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, **VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, stack, shop.owner)
    yield page
    context.close()


def test_a_customer_reads_the_shops_privacy_notice(browser, stack, shop, shots):
    context = browser.new_context(**VIEWPORTS["phone"])  # a customer: nobody signed in
    visitor = context.new_page()
    visitor.goto(dashboard_url(stack, f"privacy?shop={shop.id}"))

    expect(visitor.get_by_role("heading", name="Nyota Boutique: privacy notice")).to_be_visible()
    expect(visitor.locator("article")).to_contain_text("Kenya Data Protection Act, 2019")
    expect(visitor.locator("article")).to_contain_text("chats are deleted after 12 months")
    expect(visitor.get_by_role("navigation")).to_have_count(0)  # no dashboard tabs for her
    shoot(visitor, shots, "phone", "privacy-notice")
    context.close()


def test_the_owner_sets_retention_and_her_own_notice(page, browser, stack, shop, shots):
    page.goto(dashboard_url(stack, "settings"))
    card = page.locator("#privacy")
    card.get_by_label("Delete chats older than (months)").fill("6")
    card.get_by_label("Privacy notice", exact=False).fill(
        "Nyota keeps your chats for 6 months.\n\nAsk us for your data any time."
    )
    card.get_by_role("button", name="Save privacy").click()

    card = page.locator("#privacy")
    expect(card.get_by_role("status")).to_have_text("Saved ✓")
    expect(card.get_by_label("Delete chats older than (months)")).to_have_value("6")
    card.evaluate(SCROLL_BELOW_HEADER)
    page.screenshot(path=str(shots / "phone-privacy-settings.png"))
    visitor = browser.new_context(**VIEWPORTS["phone"]).new_page()
    visitor.goto(dashboard_url(stack, f"privacy?shop={shop.id}"))
    expect(visitor.locator("article p").first).to_have_text("Nyota keeps your chats for 6 months.")


def test_the_owner_downloads_and_deletes_her_data_and_sees_both_requests(
    page, stack, customer, shots
):
    page.goto(dashboard_url(stack, f"customers/{customer}"))
    card = page.locator("#her-data")
    with page.expect_download() as csv_download:
        card.get_by_role("link", name="Download her data (CSV)").click()
    with page.expect_download() as json_download:
        card.get_by_role("link", name="Download her data (JSON)").click()
    csv_text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    data = json.loads(Path(json_download.value.path()).read_text())
    card.get_by_role("link", name="Delete her data").click()
    page.get_by_role("button", name="Yes, delete her data").click()

    assert "'=1+1 mna kitenge ya 2k?" in csv_text  # opens as text, never as a formula
    assert data["customer"]["name"] == "Wairimu Njoroge"
    expect(page.get_by_role("heading", name="Data requests")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Her data is deleted")
    entries = page.get_by_test_id("privacy-requests").locator("li")
    expect(entries).to_have_count(3)
    expect(entries.first).to_contain_text("Deletion")
    expect(entries.first).to_contain_text("Done")
    expect(entries.nth(1)).to_contain_text("Copy of her data")
    shoot(page, shots, "phone", "data-requests")

    page.goto(dashboard_url(stack, "customers"))
    page.get_by_role("link", name="Data requests").click()
    expect(entries).to_have_count(3)
    expect(page.get_by_text("Wairimu Njoroge")).to_have_count(0)


def test_a_customer_downloads_her_data_from_the_link_she_was_sent(
    browser, stack, admin, shop, shots
):
    chat = add_conversation(
        admin, shop.id, name="Akinyi Odhiambo", messages=[("customer", "Nitumie data yangu")]
    )
    phone = admin.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (chat,)
    ).fetchone()["customer_phone"]
    request_id = requests.log_request(
        admin,
        business_id=shop.id,
        kind="export",
        channel="chat",
        conversation_id=chat,
        phone=phone,
        handled_by=requests.AGENT,
        completed=True,
    )
    token = requests.issue_download_token(admin, request_id)
    context = browser.new_context(accept_downloads=True, **VIEWPORTS["phone"])
    visitor = context.new_page()  # the customer, from WhatsApp: nobody signed in
    visitor.goto(dashboard_url(stack, f"my-data?shop={shop.id}&token={token}"))

    expect(visitor.get_by_role("heading", name="Your data at Nyota Boutique")).to_be_visible()
    shoot(visitor, shots, "phone", "my-data")
    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="Download JSON").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert data["customer"]["name"] == "Akinyi Odhiambo"
    assert "Nitumie data yangu" in [m["text"] for m in data["messages"]]
    visitor.goto(dashboard_url(stack, f"my-data?shop={shop.id}&token={token[:-2]}xx"))
    expect(visitor.get_by_role("heading", name="Your data at Nyota Boutique")).to_have_count(0)
    context.close()
