"""Helpers for journey tests: a demo boutique and a customer phone on the running stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from duka_local.simulator import WhatsAppSimulator
from tests.conftest import random_kenyan_number

DEMO_CSV = Path(__file__).resolve().parents[1] / "shared" / "duka_local" / "demo" / "catalogue.csv"


def create_demo_boutique(settings: dict[str, Any] | None = None) -> dict[str, str]:
    import csv

    from duka.catalog.importer import import_catalogue
    from duka.db.pool import transaction
    from duka.store.businesses import create_business
    from duka_local.cli import DEMO_NAME
    from duka_local.demo.images import write_demo_images

    with DEMO_CSV.open() as handle:
        write_demo_images(
            DEMO_CSV.parent / "images",
            [(r["sku"], r["colors"].split(";")) for r in csv.DictReader(handle)],
        )
    number = random_kenyan_number()
    owner = random_kenyan_number()
    with transaction() as conn:
        business_id = create_business(
            conn, name=DEMO_NAME, whatsapp_number=number, phone=owner, settings=settings or {}
        )
    import_catalogue(DEMO_CSV, number, wait=True, timeout=60)
    return {"id": business_id, "number": number, "owner": owner}


def customer_phone(stack: dict[str, str], business_number: str) -> WhatsAppSimulator:
    return WhatsAppSimulator(
        webhook_base_url=stack["WEBHOOK_BASE_URL"],
        twilio_api_base_url=stack["TWILIO_API_BASE_URL"],
        auth_token=stack["TWILIO_AUTH_TOKEN"],
        account_sid=stack["TWILIO_ACCOUNT_SID"],
        business_number=business_number,
        customer_number=random_kenyan_number(),
        database_url=stack["DATABASE_URL"],
    )


def say(
    phone: WhatsAppSimulator, text: str, photo: Path | None = None, timeout: float = 30.0
) -> str:
    """Send one message and return the text of the reply (parts joined)."""
    phone.send(text, photo=photo)
    replies = phone.wait_for_answer(timeout=timeout)
    assert replies, f"no reply to {text!r}"
    return "\n".join(r["body"] for r in replies)


def red_dress_photo(tmp_path: Path) -> Path:
    from duka_local.demo.images import swatch_png

    path = tmp_path / "red-dress.png"
    path.write_bytes(swatch_png(["red"], size=128))
    return path


def agent_records(admin_db: Any, business_id: str) -> list[dict[str, Any]]:
    rows = admin_db.execute(
        "SELECT metadata FROM messages WHERE business_id = %s AND role = 'agent'"
        " AND metadata ? 'intent' ORDER BY created_at",
        (business_id,),
    ).fetchall()
    return [r["metadata"] for r in rows]


def sandbox_pushes(stack: dict[str, str]) -> list[dict[str, Any]]:
    response = httpx.get(stack["PAYLINK_BASE_URL"] + "/_sandbox/pushes")
    response.raise_for_status()
    data = response.json()
    return list(data["pushes"] if isinstance(data, dict) else data)
