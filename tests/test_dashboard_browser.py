"""The dashboard in real headless Chromium, at a phone and a desktop size, on the local stack.

Screenshots go to DUKA_SCREENSHOTS_DIR when set (docs/screenshots/ holds the current ones),
else to a temporary folder.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright
from psycopg.rows import dict_row

from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import add_conversation, add_order, latest_code, sandbox_messages
from tests.journeys import create_demo_boutique, customer_phone, red_dress_photo, say

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 860}},
}
# A product each viewport adds, and what a customer types to find it.
NEW_PRODUCTS = {
    "phone": ("Maasai Shuka Wrap Skirt", "shuka wrap skirt"),
    "desktop": ("Lamu Kikoi Beach Kaftan", "kikoi kaftan"),
}
SHOPPERS = [  # name, days ago, product SKU, size, quantity, what brought the sale
    ("Achieng Otieno", 0, "NY-D001", "M", 1, "broadcast"),
    ("Fatuma Hassan", 1, "NY-S001", "S", 2, "organic"),
    ("Njeri Mwangi", 3, "NY-D002", "L", 1, "follow_up"),
    ("Amina Yusuf", 6, "NY-J001", "M", 1, "back_in_stock"),
    ("Grace Wairimu", 11, "NY-D001", "S", 1, "owner_takeover"),
    ("Wanjiru Karanja", 17, "NY-T001", "M", 3, "organic"),
    ("Mercy Chebet", 24, "NY-F001", "40", 1, "broadcast"),
]

expect.set_options(timeout=15_000)  # the chat and the feed refresh every few seconds

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium is not installed: `apt-get install -y chromium` (./dev test does it as root)",
)


@dataclass(frozen=True)
class Shop:
    id: str
    number: str
    owners: dict[str, str]  # viewport name -> the owner phone that signs in there


@pytest.fixture(scope="module")
def admin(stack: dict[str, str]) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(stack["DATABASE_URL"], autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture(scope="module")
def shop(stack: dict[str, str], admin: Any) -> Shop:
    """The demo boutique with a month of paid orders and an owner per viewport."""
    from duka.dashboard.owners import add_owner

    demo = create_demo_boutique()
    owners = {name: random_kenyan_number() for name in VIEWPORTS}
    for owner in owners.values():
        add_owner(demo["number"], owner)
    products = {
        r["sku"]: r
        for r in admin.execute(
            "SELECT id, sku, name, price FROM products WHERE business_id = %s", (demo["id"],)
        ).fetchall()
    }
    for name, days, sku, size, quantity, source in SHOPPERS:
        item = products[sku]
        chat = add_conversation(
            admin, demo["id"], name=name, messages=[("customer", f"Nataka {item['name']}")]
        )
        order = add_order(
            admin,
            demo["id"],
            chat,
            lines=[(str(item["id"]), item["name"], size, quantity, int(item["price"]))],
            delivery_fee=200,
        )
        admin.execute(
            "UPDATE orders SET created_at = now() - make_interval(days => %s),"
            " paid_at = now() - make_interval(days => %s), source = %s WHERE id = %s",
            (days, days, source, order),
        )
    return Shop(demo["id"], demo["number"], owners)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("DUKA_SCREENSHOTS_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def page(browser: Any, stack: dict[str, str], shop: Shop, viewport: str) -> Iterator[Any]:
    """This viewport's owner, signed in once through the real sign-in and out at the end."""
    context = browser.new_context(**VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, stack, shop.owners[viewport])
    yield page
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("button", name="Send me a code")).to_be_visible()
    context.close()


def dashboard_url(stack: dict[str, str], path: str = "") -> str:
    return f"{stack['WEBHOOK_BASE_URL']}/dashboard/{path}"


def sign_in(page: Any, stack: dict[str, str], owner: str) -> None:
    page.goto(dashboard_url(stack))
    page.get_by_label("Your WhatsApp number").fill("0" + owner[4:])
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code").fill(latest_code(stack, owner))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()


# Bring an element to the top of the screen, clear of the sticky header.
SCROLL_BELOW_HEADER = "(el) => { el.scrollIntoView({block: 'start'}); window.scrollBy(0, -70); }"
PHOTO_WAIT_MS = 15_000
IMAGES_LOADING = "() => Array.from(document.images).filter((i) => !i.complete).map((i) => i.src)"
IMAGES_SHOWN = """() => Array.from(document.images)
    .filter((image) => image.getBoundingClientRect().top < window.innerHeight)
    .every((image) => image.complete)"""


def shoot(page: Any, shots: Path, viewport: str, name: str) -> None:
    """A screenshot of the top of the page once the photos in view have loaded (or, when one
    is still loading after PHOTO_WAIT_MS on a loaded machine, as it is: the picture is for the
    README, the assertions are the test)."""
    page.wait_for_load_state()
    page.evaluate("window.scrollTo(0, 0)")
    try:
        page.wait_for_function(IMAGES_SHOWN, timeout=PHOTO_WAIT_MS)
    except PlaywrightTimeout:
        loading = page.evaluate(IMAGES_LOADING)
        print(f"screenshot {viewport}-{name} taken with photos still loading: {loading}")
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.screenshot(path=str(shots / f"{viewport}-{name}.png"))


def go(page: Any, tab: str) -> None:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=tab).click()


def test_owner_signs_in_with_a_code_and_sees_the_overview(page, stack, shop, shots, viewport):
    expect(page.get_by_test_id("sales-30d")).not_to_have_text("KES 0")
    expect(page.locator("#activity li").first).to_be_visible()
    assert page.url.endswith("/dashboard/")
    shoot(page, shots, viewport, "overview")


def test_the_overview_shows_what_brought_the_sales(page, stack, shots, viewport):
    page.goto(dashboard_url(stack))
    sources = page.get_by_test_id("revenue-sources")
    broadcasts = sources.locator('tr[data-source="broadcast"] td')
    expect(broadcasts.nth(0)).to_have_text("Broadcasts")
    expect(broadcasts.nth(1)).to_contain_text("1 order")  # today's; the other is 24 days old
    expect(broadcasts.nth(2)).to_contain_text("2 orders")
    page.locator("#revenue-sources").evaluate(SCROLL_BELOW_HEADER)
    page.screenshot(path=str(shots / f"{viewport}-revenue-sources.png"))


def test_the_restock_list_shows_what_customers_wait_for(page, stack, shop, admin, shots, viewport):
    waiting = admin.execute(  # customers asked for sold-out sizes; the owner sees the demand
        "SELECT p.id, c.id AS chat, c.customer_phone FROM products p"
        " CROSS JOIN conversations c WHERE p.business_id = %s AND c.business_id = p.business_id"
        " AND p.sku = ANY(%s) ORDER BY p.sku, c.customer_phone",
        (shop.id, ["NY-D001", "NY-D002"]),
    ).fetchall()
    for row in waiting:
        admin.execute(
            "INSERT INTO stock_alerts (business_id, conversation_id, customer_phone, product_id,"
            " size) VALUES (%s, %s, %s, %s, 'XXL') ON CONFLICT DO NOTHING",  # never stocked
            (shop.id, row["chat"], row["customer_phone"], row["id"]),
        )

    go(page, "Products")
    rows = page.get_by_test_id("restock-row")
    expect(rows.first).to_be_visible()
    page.get_by_test_id("restock-list").evaluate(SCROLL_BELOW_HEADER)
    page.screenshot(path=str(shots / f"{viewport}-restock.png"))


def test_the_funnel_shows_each_step_for_the_range_chosen(page, stack, shots, viewport):
    page.goto(dashboard_url(stack))
    page.get_by_role("link", name="See the funnel").click()
    page.get_by_role("heading", name="Sales funnel").wait_for()
    everyone = page.locator('[data-segment="all"]')
    expect(everyone.locator('[data-step="paid"] .step-count')).not_to_have_text("0")
    paid_this_month = everyone.locator('[data-step="paid"] .step-count').inner_text()
    shoot(page, shots, viewport, "funnel")

    page.get_by_role("link", name="7 days").click()
    expect(page.get_by_role("link", name="7 days")).to_have_class(re.compile("active"))
    week = int(everyone.locator('[data-step="paid"] .step-count').inner_text())
    assert 0 < week < int(paid_this_month)  # the shop's older sales fall outside the week


def test_added_product_with_a_photo_becomes_searchable(
    page, stack, shop, shots, viewport, tmp_path
):
    name, query = NEW_PRODUCTS[viewport]
    photo = red_dress_photo(tmp_path)

    go(page, "Products")
    page.get_by_role("link", name="Add product").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description").fill(f"{name}, handmade in Kenya. Light cotton.")
    page.get_by_label("Price (KES)").fill("2400")
    page.get_by_label("Category").fill("skirt" if "Skirt" in name else "dress")
    page.get_by_label("Colours").fill("red, black")
    sizes = page.get_by_label("Size", exact=True)
    stock = page.get_by_label("In stock for this size")
    for row, (size, count) in enumerate([("S", "2"), ("M", "4")]):
        sizes.nth(row).fill(size)
        stock.nth(row).fill(count)
    page.get_by_label("Material").fill("cotton")
    page.get_by_label("Add photos").set_input_files(str(photo))
    shoot(page, shots, viewport, "product-form")
    page.get_by_role("button", name="Save product").click()

    expect(page.get_by_role("status")).to_contain_text(f"Saved “{name}”")
    card = page.locator(".product-card", has_text=name)
    deadline = time.monotonic() + 30
    while not card.get_by_text("Searchable").is_visible():
        assert time.monotonic() < deadline, "the new product never became searchable"
        time.sleep(0.3)
        page.reload()
    expect(card.locator("img.photo")).to_be_visible()
    shoot(page, shots, viewport, "products")
    reply = say(customer_phone(stack, shop.number), f"Do you have a {query}?")
    assert name in reply


def test_owner_takes_over_a_chat_and_replies_on_whatsapp(
    page, stack, shop, shots, viewport, tmp_path
):
    customer = customer_phone(stack, shop.number)
    customer.profile_name = f"Halima {viewport.title()}"
    say(customer, "Do you have this dress?", photo=red_dress_photo(tmp_path))

    go(page, "Chats")
    page.get_by_role("link", name=re.compile(customer.profile_name)).click()
    expect(page.locator(".bubble.customer img.attachment")).to_be_visible()
    expect(page.get_by_label("Products shown").first).to_be_visible()
    page.get_by_role("button", name="Take over").click()
    page.get_by_label("Your reply").fill("Habari Halima! Yes, it's here. Ningependa kukuonyesha.")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.locator(".bubble.owner").last).to_contain_text("Habari Halima!")
    replies = customer.wait_for_replies(count=1, timeout=10)
    assert [r["body"] for r in replies] == [
        "Habari Halima! Yes, it's here. Ningependa kukuonyesha."
    ]
    customer.send("Asante! What sizes?")
    expect(page.locator(".bubble.customer").last).to_contain_text("What sizes?")
    assert customer.wait_for_replies(count=1, timeout=2) == []  # the agent stays quiet
    shoot(page, shots, viewport, "chat-takeover")
    page.get_by_role("button", name="Hand back to agent").click()
    expect(page.get_by_role("button", name="Take over")).to_be_visible()


# A question each viewport's customer asks that the demo's empty settings leave to the owner.
OWNER_QUESTIONS = {
    "phone": ("Do you do pickup?", "Yes, from our shop on Moi Avenue, 9am to 6pm."),
    "desktop": ("Are you open on Sunday?", "Yes, Sundays from 11am to 4pm."),
}


def test_owner_answers_a_waiting_question_and_the_agent_answers_it_next_time(
    page, stack, shop, shots, viewport
):
    question, answer = OWNER_QUESTIONS[viewport]
    customer = customer_phone(stack, shop.number)
    assert "I'll ask the owner" in say(customer, question)

    go(page, "Home")
    waiting = page.get_by_test_id("open-question").filter(has_text=question)
    waiting.get_by_label(re.compile("Your answer")).fill(answer)
    waiting.get_by_label("Save as an answer for next time").check()
    shoot(page, shots, viewport, "open-question")
    waiting.get_by_role("button", name="Send answer").click()

    expect(page.locator(".flash").first).to_contain_text("Answer sent to the customer.")
    [sent] = customer.wait_for_replies(count=1, timeout=10)
    assert sent["body"] == f"About your question “{question}”: {answer}"
    assert answer in say(customer_phone(stack, shop.number), question)


def buy_on_whatsapp(stack: dict[str, str], shop: Shop, name: str) -> Any:
    """A customer buys a kitenge skirt through the agent and pays the M-Pesa prompt."""
    from duka_local.sandbox_cli import answer_prompt, pending_prompt

    customer = customer_phone(stack, shop.number)
    customer.profile_name = name
    say(customer, "I'm looking for a kitenge skirt")
    say(customer, "I want #1 in size M")
    say(customer, "checkout")
    say(customer, "Deliver to Kilimani, Argwings Kodhek Rd, Apt 4B")
    prompt = pending_prompt(stack, customer.customer_number)
    assert prompt is not None, "no M-Pesa prompt on the customer's phone"
    answer_prompt(stack, prompt["reference"], "1234")
    assert "Payment received" in customer.wait_for_replies(count=1, timeout=30)[0]["body"]
    return customer


def test_marking_an_order_shipped_notifies_the_customer(page, stack, shop, shots, viewport):
    customer = buy_on_whatsapp(stack, shop, f"Zuri {viewport.title()}")
    seen = len(sandbox_messages(stack, customer.customer_number))

    go(page, "Orders")
    page.get_by_label("Payment").select_option("paid")
    page.get_by_role("button", name="Filter").click()
    shoot(page, shots, viewport, "orders")
    page.locator("#orders tr", has_text=customer.profile_name).get_by_role("link").click()
    expect(page.get_by_test_id("transaction-id")).not_to_have_text("—")
    page.get_by_role("button", name="Mark shipped and tell the customer").click()

    expect(page.get_by_role("status")).to_contain_text("the customer was told on WhatsApp")
    expect(page.locator("#fulfilment")).to_contain_text("Shipped")
    notices = sandbox_messages(stack, customer.customer_number)[seen:]
    assert len(notices) == 1 and "is on its way" in notices[0]["body"]
    assert "Kitenge Pencil Skirt M ×1" in notices[0]["body"]
    shoot(page, shots, viewport, "order-shipped")
    page.get_by_role("link", name="Open the chat").click()
    expect(page.locator(".marker.ok")).to_contain_text("Paid KES")
    expect(page.locator(".bubble.system").last).to_contain_text("is on its way")
    shoot(page, shots, viewport, "chat-payment")


def test_customers_and_settings_pages_render(page, stack, shop, shots, viewport):
    go(page, "Customers")
    expect(page.get_by_role("link", name="Achieng Otieno")).to_be_visible()
    shoot(page, shots, viewport, "customers")
    go(page, "Settings")
    page.get_by_label("Tone").select_option("playful")
    page.get_by_label("Greeting").fill("Karibu Nyota! Tell me what you're dressing up for.")
    page.get_by_role("button", name="Save personality").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    shoot(page, shots, viewport, "settings")


def close_up(element: Any, path: Path) -> None:
    """A screenshot of one element, centred first so the phone's bottom bar does not cover it."""
    element.evaluate("(e) => e.scrollIntoView({block: 'center'})")
    element.screenshot(path=str(path))


def test_reply_ticks_show_delivered_then_read_and_a_failure_in_words(
    page, stack, shop, shots, viewport
):
    customer = customer_phone(stack, shop.number)
    customer.profile_name = f"Wambui {viewport.title()}"
    say(customer, "Do you have a dress?")

    go(page, "Chats")
    page.get_by_role("link", name=re.compile(customer.profile_name)).click()
    reply = page.locator(".bubble.agent").last
    expect(reply.locator('[data-receipt="delivered"]')).to_have_text("✓✓")
    assert customer.read_replies() >= 1
    expect(reply.locator('[data-receipt="read"]')).to_be_visible()  # the open thread polls
    shoot(page, shots, viewport, "chat-receipts")
    close_up(reply, shots / f"{viewport}-reply-read.png")

    unreachable = customer_phone(stack, shop.number)
    unreachable.profile_name = f"Otieno {viewport.title()}"
    httpx.post(
        stack["TWILIO_API_BASE_URL"] + "/_sandbox/undeliverable",
        json={"to": unreachable.customer_number, "code": 63024},
    ).raise_for_status()
    say(unreachable, "Do you have a dress?")  # Twilio takes the reply; WhatsApp then fails it
    httpx.get(stack["TWILIO_API_BASE_URL"] + "/_sandbox/callbacks", timeout=30)  # all posted
    go(page, "Chats")
    page.get_by_role("link", name=re.compile(unreachable.profile_name)).click()
    failed = page.locator(".bubble.agent").last
    expect(failed.locator('[data-receipt="failed"]')).to_be_visible()
    expect(failed).to_contain_text("not a WhatsApp number")
    expect(page.locator(".notice", has_text="was not delivered")).to_be_visible()
    shoot(page, shots, viewport, "chat-not-delivered")
    close_up(failed.locator(".meta"), shots / f"{viewport}-reply-not-delivered.png")
