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


@pytest.mark.parametrize(
    ("category", "sizes", "stored"),
    [
        ("jeans", "28;30;32;34", ("W28", "W30", "W32", "W34")),
        ("jeans", "W30;w 32;34W;waist 36", ("W30", "W32", "W34", "W36")),
        ("trousers", "30;32;36", ("W30", "W32", "W36")),
        ("kids", "2-3Y;4-5 yrs;6Y;7 years", ("2-3Y", "4-5Y", "6Y", "7Y")),
        ("lingerie", "32A;34B;36DD;44G", ("32A", "34B", "36DD", "44G")),
        ("shoes", "UK 3;uk5;12;EU35;eu 38;47", ("UK3", "UK5", "UK12", "35", "38", "47")),
        ("shoes", "36;37;38", ("36", "37", "38")),
        ("bag", "ONE SIZE", ("FREE",)),
        ("kimono", "Free size", ("FREE",)),
        ("dress", "UK 8;10;12", ("8", "10", "12")),
        ("blouse", "2xl;small", ("XXL", "S")),
    ],
)
def test_any_size_a_boutique_sells_imports_in_its_catalogue_spelling(category, sizes, stored):
    items = parse_catalogue(HEADER + f"A1,Item,,1500,4,{category},,{sizes},\n")
    assert items[0].sizes == stored


def test_a_jeans_catalogue_in_waist_sizes_imports():
    text = (
        HEADER
        + "J1,Slim Jeans,,2800,6,jeans,blue,28;30;32;34;36,\nJ2,Mom Jeans,,3000,4,jeans,,W30;W32,\n"
    )
    items = parse_catalogue(text)
    assert [item.sizes for item in items] == [("W28", "W30", "W32", "W34", "W36"), ("W30", "W32")]


def test_nonsense_sizes_are_still_refused_with_their_line_number():
    text = HEADER + (
        "A1,Dress,,1000,1,dress,,M;XXXXL,\n"
        "A2,Jeans,,1000,1,jeans,,W50,\n"
        "A3,Bra,,1000,1,lingerie,,33B;34Q,\n"
        "A4,Top,,1000,1,top,,60;huge,\n"
        "A5,Kids,,1000,1,kids,,5-3Y,\n"
    )
    with pytest.raises(CatalogueInvalid) as caught:
        parse_catalogue(text)
    assert [(e.line, e.reason.split(" (")[0]) for e in caught.value.errors] == [
        (2, "unknown size(s) XXXXL"),
        (3, "unknown size(s) W50"),
        (4, "unknown size(s) 33B, 34Q"),
        (5, "unknown size(s) 60, huge"),
        (6, "unknown size(s) 5-3Y"),
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
