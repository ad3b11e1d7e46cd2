"""Helpers for the payments tests: a boutique seen through its database, the payment sandboxes
of the running stack, and checkouts run as the application role (RLS applies)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from duka.orders.checkout import (
    CartLine,
    CheckoutResult,
    DeliveryDetails,
    delivery_fee,
    start_checkout,
)
from duka.payments.paylink import SIGNATURE_HEADER, sign


@contextmanager
def as_app_role(stack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run this process's database work as the functions do: the role RLS applies to."""
    from duka.config import get_settings

    monkeypatch.setenv("DATABASE_URL", stack["APP_DATABASE_URL"])
    get_settings.cache_clear()
    try:
        yield
    finally:
        monkeypatch.setenv("DATABASE_URL", stack["DATABASE_URL"])
        get_settings.cache_clear()


@dataclass
class Shop:
    """One boutique of the running stack, read and arranged through the admin connection."""

    business_id: str
    number: str
    admin: psycopg.Connection[Any]
    env: dict[str, str]

    def product(self, sku: str) -> dict[str, Any]:
        row = self.admin.execute(
            "SELECT * FROM products WHERE business_id = %s AND sku = %s", (self.business_id, sku)
        ).fetchone()
        assert row is not None, sku
        return dict(row)

    def stock(self, sku: str) -> int:
        return int(self.product(sku)["stock"])

    def set_stock(self, sku: str, stock: int) -> None:
        self.admin.execute(
            "UPDATE products SET stock = %s WHERE business_id = %s AND sku = %s",
            (stock, self.business_id, sku),
        )

    def settings(self) -> dict[str, Any]:
        row = self.admin.execute(
            "SELECT settings FROM businesses WHERE id = %s", (self.business_id,)
        ).fetchone()
        assert row is not None
        return dict(row["settings"])

    def use_gateway(self, name: str) -> None:
        self.admin.execute(
            "UPDATE businesses SET settings = settings || %s WHERE id = %s",
            (Jsonb({"payment": {"gateway": name}}), self.business_id),
        )

    def conversation(
        self, customer_phone: str, *, language: str | None = None, cart_skus: tuple[str, ...] = ()
    ) -> str:
        cart = {"items": [{"product_id": str(self.product(sku)["id"])} for sku in cart_skus]}
        metadata: dict[str, Any] = {"cart": cart}
        if language:
            metadata["language"] = language
        row = self.admin.execute(
            "INSERT INTO conversations (business_id, customer_phone, metadata) VALUES (%s, %s, %s)"
            " RETURNING id",
            (self.business_id, customer_phone, Jsonb(metadata)),
        ).fetchone()
        assert row is not None
        return str(row["id"])

    def checkout(
        self,
        conversation_id: str,
        customer_phone: str,
        lines: list[tuple[str, int, str | None]],
        *,
        area: str | None = "Westlands",
        pay_phone: str | None = None,
        key: str | None = None,
    ) -> CheckoutResult:
        """Check out (sku, quantity, size) lines with delivery to `area`."""
        return start_checkout(
            business_id=self.business_id,
            conversation_id=conversation_id,
            customer_phone=customer_phone,
            pay_phone=pay_phone,
            lines=[
                CartLine(str(self.product(sku)["id"]), quantity, size)
                for sku, quantity, size in lines
            ],
            delivery=DeliveryDetails("Hse 4, Mvuli Rd", area, delivery_fee(self.settings(), area)),
            idempotency_key=key or "SM" + secrets.token_hex(16),
        )

    def order(self, order_id: str) -> dict[str, Any]:
        row = self.admin.execute("SELECT * FROM orders WHERE id = %s", (order_id,)).fetchone()
        assert row is not None
        return dict(row)

    def attempts(self, order_id: str) -> list[dict[str, Any]]:
        return self.admin.execute(
            "SELECT * FROM payment_attempts WHERE order_id = %s ORDER BY attempt", (order_id,)
        ).fetchall()

    def reservations(self, order_id: str) -> list[str]:
        rows = self.admin.execute(
            "SELECT state FROM stock_reservations WHERE order_id = %s ORDER BY created_at",
            (order_id,),
        ).fetchall()
        return [row["state"] for row in rows]

    def cart(self, conversation_id: str) -> Any:
        row = self.admin.execute(
            "SELECT metadata->'cart' AS cart FROM conversations WHERE id = %s", (conversation_id,)
        ).fetchone()
        assert row is not None
        return row["cart"]

    def memories(self) -> list[str]:
        rows = self.admin.execute(
            "SELECT summary FROM agent_memories WHERE business_id = %s", (self.business_id,)
        ).fetchall()
        return [row["summary"] for row in rows]

    def sandbox_url(self, gateway: str) -> str:
        return self.env["PAYLINK_BASE_URL" if gateway == "paylink" else "DARAJA_BASE_URL"]

    def pushes(self, order_id: str, gateway: str = "paylink") -> list[dict[str, Any]]:
        """The STK pushes the sandbox received for this order."""
        pushes = httpx.get(self.sandbox_url(gateway) + "/_sandbox/pushes").json()["pushes"]
        wanted = (order_id, order_id.replace("-", "")[:10].upper())
        return [push for push in pushes if push["order_reference"] in wanted]

    def customer_answers(
        self,
        order_id: str,
        action: str,
        *,
        gateway: str = "paylink",
        reason: str | None = None,
        lose_callback: bool = False,
    ) -> dict[str, Any]:
        """The customer answers the order's newest prompt; returns the sandbox's push record."""
        reference = self.pushes(order_id, gateway)[-1]["checkout_request_id"]
        body: dict[str, Any] = {"lose_callback": lose_callback}
        if reason:
            body["reason"] = reason
        response = httpx.post(
            f"{self.sandbox_url(gateway)}/_sandbox/pushes/{reference}/{action}",
            json=body,
            timeout=30,
        )
        response.raise_for_status()
        push: dict[str, Any] = response.json()["push"]
        return push

    def post_paylink_callback(
        self, body: dict[str, Any], *, secret: str | None = None
    ) -> httpx.Response:
        raw = json.dumps(body).encode()
        signature = sign(raw, secret or self.env["PAYLINK_WEBHOOK_SECRET"])
        return httpx.post(
            self.env["WEBHOOK_BASE_URL"] + "/webhook/paylink/callback",
            content=raw,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        )


def paylink_success(push: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The callback PayLink sends when the customer pays this push."""
    body = {
        "status": "success",
        "reference": push["order_reference"],
        "checkout_request_id": push["checkout_request_id"],
        "mpesa_reference": push["merchant_reference"],
        "amount": push["amount_kes"],
        "transaction_id": push.get("transaction_id") or "QGX" + secrets.token_hex(4).upper(),
    }
    return {**body, **changes}


def wait_until(condition: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
