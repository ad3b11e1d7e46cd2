"""Import a catalogue CSV for one business and (optionally) wait until it is searchable."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from duka.catalog.csv_import import parse_catalogue
from duka.db.pool import tenant_transaction, transaction
from duka.relay import relay_outbox
from duka.store import businesses, products


class UnknownBusinessNumber(Exception):
    pass


def _resolve_image(ref: str, base: Path) -> str:
    if "://" in ref or Path(ref).is_absolute():
        return ref
    return str((base / ref).resolve())


def import_catalogue(
    csv_path: Path, whatsapp_number: str, *, wait: bool = False, timeout: float = 120.0
) -> list[str]:
    items = parse_catalogue(csv_path.read_text(encoding="utf-8-sig"))
    items = [
        replace(item, images=tuple(_resolve_image(i, csv_path.parent) for i in item.images))
        for item in items
    ]
    with transaction() as conn:
        business_id = businesses.business_id_for_whatsapp(conn, whatsapp_number)
    if business_id is None:
        raise UnknownBusinessNumber(f"no business uses WhatsApp number {whatsapp_number}")
    with tenant_transaction(business_id) as conn:
        ids = products.upsert_products(conn, business_id, items)
    relay_outbox()
    if wait:
        _wait_until_indexed(business_id, ids, timeout)
    return ids


def _wait_until_indexed(business_id: str, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with tenant_transaction(business_id) as conn:
            remaining = products.count_unindexed(conn, ids)
        if remaining == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{remaining} product(s) still not searchable after {timeout:.0f}s")
        time.sleep(0.2)
