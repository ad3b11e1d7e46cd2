"""CSV import: all or nothing, with the line and the reason for every bad row."""

from __future__ import annotations

import subprocess
import sys

import pytest

from duka.catalog.csv_import import CatalogueInvalid, parse_catalogue

HEADER = "sku,name,description,price,stock,category,colors,sizes,images\n"


def test_valid_rows_parse_with_lists_split_on_semicolons():
    items = parse_catalogue(HEADER + 'A1,Kitenge Dress,Nice,"2,500",3,Dress,red;blue,S;m,a.png\n')
    assert items[0].price == 2500
    assert items[0].colors == ("red", "blue")
    assert items[0].sizes == ("S", "M")
    assert items[0].category == "dress"


def test_every_bad_row_is_reported_with_its_line_number():
    text = HEADER + "A1,Dress,,abc,3,,,,\nA2,Skirt,,100,-1,,,,\nA3,,,100,1,,,,\nA1,Again,,5,1,,,,\n"
    with pytest.raises(CatalogueInvalid) as caught:
        parse_catalogue(text)
    messages = [str(e) for e in caught.value.errors]
    assert messages == [
        "line 2: price 'abc' is not a number",
        "line 3: stock cannot be negative",
        "line 4: missing name",
    ]


def test_cli_import_of_a_bad_file_imports_nothing(stack, boutique, admin_db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "NEW1,New Dress,,1000,2,dress,,,\nNEW2,Broken,,free,2,dress,,,\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "duka_local.cli",
            "products",
            "import",
            str(bad),
            "--business",
            boutique["number"],
        ],
        capture_output=True,
        text=True,
        env=stack_env(stack),
    )
    assert result.returncode == 1
    assert "line 3: price 'free' is not a number" in result.stderr
    assert (
        admin_db.execute(
            "SELECT count(*) AS n FROM products WHERE business_id = %s AND sku LIKE 'NEW%%'",
            (boutique["id"],),
        ).fetchone()["n"]
        == 0
    )


def test_cli_import_with_wait_returns_when_products_are_searchable(
    stack, boutique, admin_db, tmp_path
):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "NEW3,Ankara Jumpsuit,Wide leg,3500,2,jumpsuit,green,S;M,\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "duka_local.cli",
            "products",
            "import",
            str(good),
            "--business",
            boutique["number"],
            "--wait",
        ],
        capture_output=True,
        text=True,
        env=stack_env(stack),
    )
    assert result.returncode == 0, result.stderr
    row = admin_db.execute(
        "SELECT search_text, indexed_at FROM products WHERE business_id = %s AND sku = 'NEW3'",
        (boutique["id"],),
    ).fetchone()
    assert row["indexed_at"] is not None
    assert "ankara jumpsuit" in row["search_text"]


def stack_env(stack: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **stack}
