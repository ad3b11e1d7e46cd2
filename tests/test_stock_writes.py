"""Stock writes by the owner never overwrite pieces an unpaid order holds."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from duka.catalog.importer import import_catalogue
from duka.db.pool import tenant_transaction
from duka.orders.checkout import CheckoutStatus
from duka.orders.reconcile import ReconcileSettings, reconcile_payments
from duka.orders.reservations import set_size_stock
from tests.dashboard_helpers import OwnerClient, signed_in_owner
from tests.payments_support import Shop, as_app_role, wait_until

HEADER = "sku,name,description,price,stock,category,colors,sizes,images\n"


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def reserve_two_skirts(shop: Shop, phone: Any) -> str:
    conversation_id = shop.conversation(phone.customer_number, cart_skus=("T-S1",))
    result = shop.checkout(conversation_id, phone.customer_number, [("T-S1", 2, "M")])
    assert result.status is CheckoutStatus.STK_SENT
    assert shop.stock("T-S1") == 2  # 4 on the shelf, 2 held
    return str(result.order_id)


def reimport_skirts(shop: Shop, tmp_path: Path, on_the_shelf: int) -> None:
    csv = tmp_path / "catalogue.csv"
    csv.write_text(
        HEADER + f"T-S1,Kitenge Pencil Skirt,High-waist,1700,{on_the_shelf},skirt,orange,S;M;L,\n"
    )
    import_catalogue(csv, shop.number)


def test_a_reimport_during_a_pending_order_then_expiry_leaves_the_shelf_count(
    shop, phone, tmp_path
):
    order_id = reserve_two_skirts(shop, phone)

    reimport_skirts(shop, tmp_path, on_the_shelf=4)  # the owner counted the same 4 pieces

    assert shop.stock("T-S1") == 2  # the 2 held pieces are not for sale twice
    shop.admin.execute(
        "UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = %s", (order_id,)
    )
    reconcile_payments(ReconcileSettings(query_after_s=0))
    assert shop.order(order_id)["status"] == "expired"
    assert shop.stock("T-S1") == 4  # the held pieces came back once: no phantom units


def test_a_reimport_during_a_pending_order_then_payment_sells_the_held_pieces(
    shop, phone, tmp_path
):
    order_id = reserve_two_skirts(shop, phone)

    reimport_skirts(shop, tmp_path, on_the_shelf=5)  # one new piece arrived

    assert shop.stock("T-S1") == 3
    shop.customer_answers(order_id, "approve")
    assert wait_until(lambda: shop.order(order_id)["status"] == "paid")
    assert shop.stock("T-S1") == 3  # 5 on the shelf, 2 sold: no oversell


def test_a_reimport_below_what_orders_hold_sells_nothing_more(shop, phone, tmp_path):
    reserve_two_skirts(shop, phone)

    reimport_skirts(shop, tmp_path, on_the_shelf=1)

    assert shop.stock("T-S1") == 0


# The dashboard's product form


class _FormFields(HTMLParser):
    """What a browser posts for the page's product form (inputs, textareas; no files)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._in_form = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "form" and named.get("enctype") == "multipart/form-data":
            self._in_form = True
        elif self._in_form and tag == "input" and named.get("name"):
            if named.get("type") in ("file", "checkbox"):
                return
            self.fields.setdefault(named["name"], []).append(named.get("value", ""))
        elif self._in_form and tag == "textarea":
            self._textarea = named["name"]
            self.fields[self._textarea] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def form_fields(html: str) -> dict[str, list[str]]:
    parser = _FormFields()
    parser.feed(html)
    return parser.fields


def with_size_stock(fields: dict[str, list[str]], size: str, count: int) -> dict[str, list[str]]:
    """The owner types `count` in the row of `size`."""
    counts = list(fields["size_stock"])
    counts[fields["size"].index(size)] = str(count)
    return {**fields, "size_stock": counts}


@pytest.fixture()
def owner(stack, shop: Shop) -> Iterator[OwnerClient]:
    with signed_in_owner(stack, shop.admin, shop.business_id) as client:
        yield client


def skirts_by_size(shop: Shop) -> dict[str, int]:
    rows = shop.admin.execute(
        "SELECT size, stock FROM product_stock WHERE product_id = %s",
        (shop.product("T-S1")["id"],),
    ).fetchall()
    return {r["size"]: r["stock"] for r in rows}


def track_skirts_by_size(shop: Shop) -> str:
    product_id = str(shop.product("T-S1")["id"])
    with tenant_transaction(shop.business_id) as conn:
        set_size_stock(conn, shop.business_id, product_id, {"S": 1, "M": 2, "L": 1})
    return product_id


def test_a_stock_edit_saved_after_an_order_reserved_is_refused_then_saved_on_current_stock(
    shop, phone, owner
):
    product_id = track_skirts_by_size(shop)
    page = f"/dashboard/products/{product_id}"
    shown = form_fields(owner.get(page).text)  # the owner opens the form: M 2, total 4

    conversation_id = shop.conversation(phone.customer_number, cart_skus=("T-S1",))
    order = shop.checkout(conversation_id, phone.customer_number, [("T-S1", 1, "M")])
    assert order.status is CheckoutStatus.STK_SENT  # meanwhile a customer holds one M

    refused = owner.post(page, data=with_size_stock(shown, "M", 5))  # 3 more M arrived

    assert refused.status_code == 409
    assert (
        "Stock changed while you were editing (an order reserved or released pieces):"
        " it is now 3 (L 1, M 1, S 1). Check and save again."
    ) in refused.text
    assert (shop.stock("T-S1"), skirts_by_size(shop)) == (3, {"S": 1, "M": 1, "L": 1})
    assert shop.reservations(str(order.order_id)) == ["reserved"]
    current = form_fields(refused.text)
    assert current["size_stock"][current["size"].index("M")] == "1"  # shown as it is now

    saved = owner.post(page, data=with_size_stock(current, "M", 4))  # 1 held + 3 new = 4 free
    assert saved.status_code == 302
    assert (shop.stock("T-S1"), skirts_by_size(shop)) == (6, {"S": 1, "M": 4, "L": 1})

    shop.customer_answers(str(order.order_id), "approve")
    assert wait_until(lambda: shop.order(str(order.order_id))["status"] == "paid")
    assert (shop.stock("T-S1"), skirts_by_size(shop)) == (6, {"S": 1, "M": 4, "L": 1})


def test_an_edit_that_leaves_stock_alone_keeps_what_an_order_reserved_meanwhile(shop, phone, owner):
    product_id = track_skirts_by_size(shop)
    page = f"/dashboard/products/{product_id}"
    shown = form_fields(owner.get(page).text)

    order_id = reserve_two_skirts(shop, phone)  # both M are held: 2 left to sell

    saved = owner.post(page, data={**shown, "name": ["Kitenge Pencil Skirt (new season)"]})

    assert saved.status_code == 302
    assert shop.product("T-S1")["name"] == "Kitenge Pencil Skirt (new season)"
    assert (shop.stock("T-S1"), skirts_by_size(shop)) == (2, {"S": 1, "M": 0, "L": 1})
    shop.admin.execute(
        "UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = %s", (order_id,)
    )
    reconcile_payments(ReconcileSettings(query_after_s=0))
    assert shop.order(order_id)["status"] == "expired"
    assert (shop.stock("T-S1"), skirts_by_size(shop)) == (4, {"S": 1, "M": 2, "L": 1})
