"""Import a catalogue CSV for one business and (optionally) wait until it is searchable."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from duka.catalog.csv_import import parse_catalogue
from duka.catalog.image_store import ImageStore, get_image_store, store_image
from duka.db.pool import tenant_transaction, transaction
from duka.relay import relay_outbox
from duka.store import businesses, products

Progress = Callable[[int, int], None]  # (products searchable, products imported)


def import_catalogue(
    csv_path: Path,
    whatsapp_number: str,
    *,
    wait: bool = False,
    timeout: float = 120.0,
    progress: Progress | None = None,
    image_store: ImageStore | None = None,
) -> list[str]:
    """Validate every row, store the images, upsert by SKU (all or nothing), announce changes."""
    items = parse_catalogue(csv_path.read_text(encoding="utf-8-sig"), base_dir=csv_path.parent)
    with transaction() as conn:
        business_id = businesses.require_business_id_for_whatsapp(conn, whatsapp_number)
    store = image_store or get_image_store()
    items = [
        replace(
            item,
            images=tuple(store_image(store, business_id, i, csv_path.parent) for i in item.images),
        )
        for item in items
    ]
    with tenant_transaction(business_id) as conn:
        ids = products.upsert_products(conn, business_id, items)
    relay_outbox()
    if wait:
        _wait_until_indexed(business_id, ids, timeout, progress)
    return ids


def _wait_until_indexed(
    business_id: str, ids: list[str], timeout: float, progress: Progress | None
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with tenant_transaction(business_id) as conn:
            remaining = products.count_unindexed(conn, ids)
        if progress is not None:
            progress(len(ids) - remaining, len(ids))
        if remaining == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{remaining} product(s) still not searchable after {timeout:.0f}s")
        time.sleep(0.2)


def progress_printer(stream: TextIO = sys.stderr) -> Progress:
    """For the CLI: a line each time more products become searchable."""
    last = -1

    def report(done: int, total: int) -> None:
        nonlocal last
        if done != last:
            print(f"searchable: {done}/{total}", file=stream, flush=True)
            last = done

    return report
