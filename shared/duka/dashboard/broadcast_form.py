"""The new-broadcast form: a title, one to three products and the audience filters, read from
the query string (preview) or the posted form (send) alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from werkzeug.datastructures import MultiDict

from duka.broadcasts.audience import Audience
from duka.broadcasts.cards import MAX_PRODUCTS

MAX_TITLE = 80
MAX_DAYS = 3650
MAX_SIZE = 10


@dataclass
class BroadcastForm:
    title: str = ""
    product_ids: list[str] = field(default_factory=list)
    audience: Audience = field(default_factory=Audience)
    errors: dict[str, str] = field(default_factory=dict)


def parse(values: MultiDict[str, str]) -> BroadcastForm:
    form = BroadcastForm(title=" ".join(values.get("title", "").split())[:MAX_TITLE])
    for raw in values.getlist("product"):
        try:
            product_id = str(UUID(raw))
        except ValueError:
            form.errors["product"] = "Pick products from the list."
            continue
        if product_id not in form.product_ids:
            form.product_ids.append(product_id)
    if len(form.product_ids) > MAX_PRODUCTS:
        form.errors["product"] = f"Pick at most {MAX_PRODUCTS} products: one card each."
    days_text = values.get("days", "").strip()
    days = None
    if days_text:
        if not days_text.isdigit() or not 0 < int(days_text) <= MAX_DAYS:
            form.errors["days"] = "Days: a whole number from 1, or leave it empty."
        else:
            days = int(days_text)
    form.audience = Audience(
        category=values.get("category", "").strip(),
        days=days,
        size=values.get("size", "").strip().upper()[:MAX_SIZE],
    )
    return form


def require_send(form: BroadcastForm) -> None:
    """What Send needs beyond a preview: a title and at least one product."""
    if not form.product_ids:
        form.errors["product"] = "Pick at least one product."
    if not form.title:
        form.errors["title"] = "Give the broadcast a name (only you see it)."
