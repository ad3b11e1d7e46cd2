"""The day's reconciliation report (`duka.orders.reconciliation`): every payment received that
Nairobi day against its order, money with no order, orders paid by more than one payment, and
totals; the same under `duka payments report` and on the dashboard's payments page.

Real stack: the ledger rows are written by the administrator (the STK path that writes them is
tests/test_payments_ledger.py); the report is read as the application role, under RLS.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from duka.orders.reconciliation import day_report
from duka_local.payments_cli import register
from tests.dashboard_helpers import (
    OwnedBoutique,
    OwnerClient,
    add_conversation,
    add_order,
    create_owned_boutique,
)

DAY = date(2026, 3, 10)


@dataclass(frozen=True)
class Books:
    mine: OwnedBoutique
    split: str  # paid by two payments on DAY
    single: str  # paid by one payment on DAY
    yesterday: str  # paid on the day before, a few minutes before midnight


def pay(
    admin_db: Any, business: str, order: str | None, receipt: str, amount: int, at: str
) -> None:
    admin_db.execute(
        "INSERT INTO payments (business_id, order_id, gateway, receipt, amount,"
        " payer_phone_masked, matched_by, paid_at)"
        " VALUES (%s, %s, 'paylink', %s, %s, '+254******678', 'stk_push', %s)",
        (business, order, receipt, Decimal(amount), at),
    )


@pytest.fixture()
def books(admin_db: Any) -> Books:
    mine = create_owned_boutique(admin_db, name="Amani Styles")
    chat = add_conversation(admin_db, mine.id, name="Achieng")
    split = add_order(admin_db, mine.id, chat, lines=[(None, "Ankara Maxi", "M", 1, 2800)])
    single = add_order(admin_db, mine.id, chat, lines=[(None, "Kitenge Top", "S", 1, 1500)])
    yesterday = add_order(admin_db, mine.id, chat, lines=[(None, "Kanga Wrap", "L", 1, 2000)])
    pay(admin_db, mine.id, yesterday, "QREP0YESTD", 2000, "2026-03-09 23:50+03")
    pay(admin_db, mine.id, split, "QREP1SPLTA", 1000, "2026-03-10 00:05+03")  # 21:05 UTC the 9th
    pay(admin_db, mine.id, None, "QREP2NOORD", 700, "2026-03-10 11:30+03")
    pay(admin_db, mine.id, single, "QREP3SINGL", 1500, "2026-03-10 14:00+03")
    pay(admin_db, mine.id, split, "QREP4SPLTB", 1800, "2026-03-10 23:55+03")
    pay(admin_db, mine.id, None, "QREP5TOMOR", 900, "2026-03-11 00:01+03")  # the next day

    theirs = create_owned_boutique(admin_db, name="Kibanda Boutique")
    their_chat = add_conversation(admin_db, theirs.id, name="Otieno")
    their_order = add_order(admin_db, theirs.id, their_chat, lines=[(None, "Suti", "M", 1, 4000)])
    pay(admin_db, theirs.id, their_order, "QTHEIRS001", 4000, "2026-03-10 12:00+03")
    pay(admin_db, theirs.id, None, "QTHEIRS002", 300, "2026-03-10 12:30+03")
    return Books(mine, split, single, yesterday)


DAY_RECEIPTS = ["QREP1SPLTA", "QREP2NOORD", "QREP3SINGL", "QREP4SPLTB"]


def test_the_report_lists_the_days_payments_against_orders_with_totals(stack, books):
    with psycopg.connect(stack["APP_DATABASE_URL"], row_factory=dict_row) as conn:
        with conn.transaction():
            conn.execute("SELECT set_config('app.business_id', %s, true)", (books.mine.id,))
            report = day_report(conn, DAY)

    assert [p.receipt for p in report.payments] == DAY_RECEIPTS
    assert [(p.order_id, p.amount, p.order_payments) for p in report.payments] == [
        (books.split, Decimal(1000), 2),
        (None, Decimal(700), 0),
        (books.single, Decimal(1500), 1),
        (books.split, Decimal(1800), 2),
    ]
    assert [p.receipt for p in report.unmatched] == ["QREP2NOORD"]
    assert [(o.order_id, o.amount, o.payments, o.received) for o in report.split_orders] == [
        (books.split, Decimal(2800), 2, Decimal(2800))
    ]
    assert (report.total, report.total_matched, report.total_unmatched, report.orders) == (
        Decimal(5000),
        Decimal(4300),
        Decimal(700),
        2,
    )


def test_duka_payments_report_prints_the_days_table(stack, books, capsys):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> int:
        args = parser.parse_args(argv)
        return int(args.func(args))

    assert run("payments", "report", "--date", "2026-03-10", "--business", books.mine.number) == 0
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if re.match(r"\d\d:\d\d ", line)]

    assert [line.split()[1] for line in table] == DAY_RECEIPTS
    assert [line.split()[0] for line in table] == ["00:05", "11:30", "14:00", "23:55"]
    assert "no order" in table[1] and "2 payments" in table[0] and "2 payments" in table[3]
    assert "Unmatched payments (no order): 1 · KES 700" in out
    assert f"  {books.split[:8]}  2 payments  received KES 2,800 of KES 2,800" in out
    assert (
        "Total: 4 payments · KES 5,000 · matched to 2 orders KES 4,300 · unmatched KES 700" in out
    )
    assert "QTHEIRS" not in out and "QREP0YESTD" not in out and "QREP5TOMOR" not in out

    bad_date = run("payments", "report", "--date", "10/03/2026", "--business", books.mine.number)
    unknown = run("payments", "report", "--date", "2026-03-10", "--business", "+254799999990")
    assert (bad_date, unknown) == (2, 1)


def test_the_payments_page_shows_the_days_payments_and_is_linked_from_orders(app, stack, books):
    owner = OwnerClient(app, stack, books.mine.owner)

    orders_page = owner.get("/dashboard/orders").text
    page = owner.get("/dashboard/payments?date=2026-03-10")

    assert 'href="/dashboard/payments"' in orders_page
    assert page.status_code == 200
    html = page.text
    assert re.findall(r'data-receipt="([^"]+)"', html) == DAY_RECEIPTS
    totals = re.search(r'data-testid="payments-totals">(.*?)</div>', html, re.S)
    assert totals is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", totals.group(1)).split())
    assert text == ("KES 5,000 in 4 payments Matched to 2 orders: KES 4,300 · no order: KES 700")
    unmatched = re.search(r'data-testid="unmatched">(.*?)</div>', html, re.S)
    assert unmatched is not None and "QREP2NOORD" in unmatched.group(1)
    split = re.search(r'data-testid="split-orders">(.*?)</div>', html, re.S)
    assert split is not None
    assert f"/dashboard/orders/{books.split}" in split.group(1)
    assert "2 payments · received KES 2,800" in " ".join(split.group(1).split())
    assert "QTHEIRS" not in html and "Kibanda" not in html
    assert "QREP0YESTD" not in html and "QREP5TOMOR" not in html

    next_day = owner.get("/dashboard/payments?date=2026-03-11").text
    assert re.findall(r'data-receipt="([^"]+)"', next_day) == ["QREP5TOMOR"]
