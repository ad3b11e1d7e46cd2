"""A broadcast's products as the customer receives them: one card per product (photo, name,
price, a "Shop now" button), the `broadcast_product` WhatsApp template outside the 24-hour
window and the same words with the photo attached inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duka.db.pool import Connection
from duka.orchestrator.templates import kes
from duka.whatsapp_templates import TEMPLATES, ProductCard, template_metadata

MAX_PRODUCTS = 3  # one card each: more reads as spam, and each card is a paid message
WITH_PHOTO, WITHOUT_PHOTO = "broadcast_product", "broadcast_product_text"


@dataclass(frozen=True)
class Card:
    product_id: str
    template: str
    variables: dict[str, str]
    photo: str | None  # a public URL Twilio can fetch

    def text(self, language: str) -> str:
        return TEMPLATES[self.template].render(language, self.variables)

    def button(self, language: str) -> str:
        template = TEMPLATES[self.template]
        assert isinstance(template, ProductCard)
        return template.button[template.language_for(language)]

    def metadata(self) -> dict[str, Any]:
        return template_metadata(self.template, self.variables)


def public_photo(images: list[str] | None) -> str | None:
    """The product's first photo when it is a URL (one in local storage is not public)."""
    first = images[0] if images else ""
    return first if first.startswith(("https://", "http://")) else None


def products(conn: Connection, product_ids: list[str]) -> list[dict[str, Any]]:
    """The broadcast's active products (RLS: this boutique's), in the owner's order."""
    rows = conn.execute(
        "SELECT id, name, price, images, category, stock FROM products"
        " WHERE id = ANY(%s::uuid[]) AND active",
        (product_ids,),
    ).fetchall()
    by_id = {str(r["id"]): r for r in rows}
    return [by_id[p] for p in product_ids if p in by_id]


def card(product: dict[str, Any], shop: str) -> Card:
    photo = public_photo(product["images"])
    variables = {"1": shop, "2": str(product["name"]), "3": kes(product["price"])}
    if photo:
        return Card(str(product["id"]), WITH_PHOTO, {**variables, "4": photo}, photo)
    return Card(str(product["id"]), WITHOUT_PHOTO, variables, None)
