"""Dashboard test helpers: boutiques with owners, their data, and signing in for real."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from flask import Flask
from flask.testing import FlaskClient
from psycopg.types.json import Jsonb

from tests.conftest import random_kenyan_number

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"\b(\d{8})\b")


@dataclass(frozen=True)
class OwnedBoutique:
    id: str
    number: str  # the boutique's WhatsApp number
    owner: str  # the owner's own phone


def create_owned_boutique(admin_db: Any, name: str = "Nyota Boutique") -> OwnedBoutique:
    number, owner = random_kenyan_number(), random_kenyan_number()
    row = admin_db.execute(
        "INSERT INTO businesses (name, whatsapp_number, phone) VALUES (%s, %s, %s) RETURNING id",
        (name, number, owner),
    ).fetchone()
    business_id = str(row["id"])
    admin_db.execute(
        "INSERT INTO business_owners (business_id, phone) VALUES (%s, %s)", (business_id, owner)
    )
    return OwnedBoutique(business_id, number, owner)


def add_conversation(
    admin_db: Any,
    business_id: str,
    *,
    name: str | None = "Wanjiku Kamau",
    phone: str | None = None,
    messages: Sequence[tuple[str, str]] = (("customer", "Niaje, mna dresses?"),),
    status: str = "active",
    metadata: dict[str, Any] | None = None,
) -> str:
    row = admin_db.execute(
        "INSERT INTO conversations (business_id, customer_phone, customer_name, status, metadata,"
        " last_customer_message_at) VALUES (%s, %s, %s, %s, %s, now()) RETURNING id",
        (business_id, phone or random_kenyan_number(), name, status, Jsonb(metadata or {})),
    ).fetchone()
    conversation_id = str(row["id"])
    for offset, (role, content) in enumerate(messages):
        admin_db.execute(
            "INSERT INTO messages (business_id, conversation_id, role, content, delivery_status,"
            " created_at) VALUES (%s, %s, %s, %s, %s, now() - make_interval(secs => %s))",
            (
                business_id,
                conversation_id,
                role,
                content,
                None if role == "customer" else "sent",
                len(messages) - offset,
            ),
        )
    return conversation_id


def add_product(
    admin_db: Any,
    business_id: str,
    *,
    sku: str,
    name: str,
    price: int = 2500,
    stock: int = 5,
    images: Sequence[str] = (),
) -> str:
    row = admin_db.execute(
        "INSERT INTO products (business_id, sku, name, price, stock, category, attrs, images)"
        " VALUES (%s, %s, %s, %s, %s, 'dress', %s, %s) RETURNING id",
        (
            business_id,
            sku,
            name,
            price,
            stock,
            Jsonb({"colors": ["blue"], "sizes": ["M"]}),
            list(images),
        ),
    ).fetchone()
    return str(row["id"])


def add_order(
    admin_db: Any,
    business_id: str,
    conversation_id: str,
    *,
    lines: Sequence[tuple[str | None, str, str, int, int]],  # product id, name, size, qty, price
    status: str = "paid",
    delivery_fee: int = 0,
) -> str:
    customer = admin_db.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (conversation_id,)
    ).fetchone()
    amount = sum(qty * price for *_, qty, price in lines) + delivery_fee
    row = admin_db.execute(
        "INSERT INTO orders (business_id, conversation_id, customer_phone, amount, status,"
        " mpesa_reference, checkout_request_id, transaction_id, delivery_info, paid_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " CASE WHEN %s = 'paid' THEN now() END) RETURNING id",
        (
            business_id,
            conversation_id,
            customer["customer_phone"],
            Decimal(amount),
            status,
            "MPX" + conversation_id[:6].upper(),
            "ws_CO_" + conversation_id[:8],
            "QGX" + conversation_id[:7].upper() if status == "paid" else None,
            Jsonb(
                {
                    "address": "Kilimani, Argwings Kodhek Rd",
                    "area": "Kilimani",
                    "fee_kes": delivery_fee,
                }
            ),
            status,
        ),
    ).fetchone()
    order_id = str(row["id"])
    for product_id, name, size, qty, price in lines:
        admin_db.execute(
            "INSERT INTO order_items (business_id, order_id, product_id, sku, name, size,"
            " color, quantity, unit_price, line_total)"
            " VALUES (%s, %s, %s, %s, %s, %s, 'blue', %s, %s, %s)",
            (
                business_id,
                order_id,
                product_id,
                "SKU-" + name[:3],
                name,
                size,
                qty,
                price,
                qty * price,
            ),
        )
    return order_id


def sandbox_messages(stack: dict[str, str], to: str) -> list[dict[str, Any]]:
    response = httpx.get(stack["TWILIO_API_BASE_URL"] + "/_sandbox/messages", params={"to": to})
    response.raise_for_status()
    return list(response.json()["messages"])


def wait_for_message(
    stack: dict[str, str], to: str, *, after: int = 0, timeout: float = 10.0
) -> dict[str, Any]:
    """The first WhatsApp message to `to` beyond the `after` already seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sandbox_messages(stack, to)
        if len(found) > after:
            return found[after]
        time.sleep(0.05)
    raise AssertionError(f"no WhatsApp message to {to} within {timeout}s")


def latest_code(stack: dict[str, str], phone: str, timeout: float = 10.0) -> str:
    """The newest sign-in code on the owner's WhatsApp (other alerts may come after it). The
    page answers within its time budget while a slow send finishes in the background, so the
    code may land a moment after the page: wait for it, as the owner would."""
    deadline = time.monotonic() + timeout
    while True:
        messages = sandbox_messages(stack, phone)
        bodies = [m["body"] for m in messages if "verification code" in m["body"]]
        if bodies or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert bodies, f"no sign-in code was sent to {phone}"
    match = CODE.search(bodies[-1])
    assert match, bodies[-1]
    return match.group(1)


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@contextmanager
def as_app_role(stack: dict[str, str]) -> Iterator[None]:
    """Run this process's database calls as the application role, which RLS binds."""
    from duka.config import get_settings

    saved = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = stack["APP_DATABASE_URL"]
    get_settings.cache_clear()
    try:
        yield
    finally:
        os.environ["DATABASE_URL"] = saved
        get_settings.cache_clear()


def random_ip() -> str:
    """A private address: each test browser gets its own."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


class VisitorClient(FlaskClient):
    """A test browser on its own network: Google's front end forwards its address, so sign-in
    limits per client IP count each test's browser apart (as they would real owners)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_X_FORWARDED_FOR"] = random_ip()


@contextmanager
def dashboard_app(stack: dict[str, str]) -> Iterator[Flask]:
    """The dashboard in this process, on the real database as the application role."""
    with as_app_role(stack):
        from duka.dashboard.app import create_app

        application = create_app()
        application.testing = True
        application.test_client_class = VisitorClient
        yield application


def ask_for_code(client: FlaskClient, phone: str) -> Any:
    token = csrf_from(client.get("/dashboard/login").text)
    return client.post("/dashboard/login", data={"phone": phone, "csrf_token": token})


def enter_code(client: FlaskClient, code: str) -> Any:
    token = csrf_from(client.get("/dashboard/login/code").text)
    return client.post("/dashboard/login/code", data={"code": code, "csrf_token": token})


def sign_in(client: FlaskClient, stack: dict[str, str], phone: str) -> Any:
    assert ask_for_code(client, phone).status_code == 302
    return enter_code(client, latest_code(stack, phone))


class OwnerClient:
    """A signed-in owner using Flask's test client; posts carry the session's CSRF token."""

    def __init__(self, app: Flask, stack: dict[str, str], phone: str) -> None:
        self.client = app.test_client()
        assert sign_in(self.client, stack, phone).status_code == 302
        self.token = csrf_from(self.client.get("/dashboard/").text)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token}, **kwargs)


@contextmanager
def signed_in_owner(
    stack: dict[str, str], admin_db: Any, business_id: str
) -> Iterator[OwnerClient]:
    """The owner of an existing boutique (its business phone), signed in to a dashboard of its
    own; use it after the boutique's fixtures, which need the administrator connection."""
    row = admin_db.execute("SELECT phone FROM businesses WHERE id = %s", (business_id,)).fetchone()
    admin_db.execute(
        "INSERT INTO business_owners (business_id, phone) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (business_id, row["phone"]),
    )
    with dashboard_app(stack) as app:
        yield OwnerClient(app, stack, row["phone"])
