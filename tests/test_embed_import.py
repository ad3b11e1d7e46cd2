"""Importing a catalogue: every row checked before anything is stored, then embedded."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from duka.catalog.csv_import import CatalogueInvalid, parse_catalogue
from duka.catalog.image_store import LocalImageStore
from duka.catalog.importer import import_catalogue, progress_printer
from duka.catalog.search import SearchQuery, search_products
from duka.db.pool import tenant_transaction, transaction
from duka.store.businesses import create_business
from duka_local.demo.synthetic import garment_photo
from tests.conftest import random_kenyan_number

HEADER = "sku,name,description,price,stock,category,colors,sizes,images\n"


def test_unknown_sizes_missing_image_files_and_bad_urls_are_reported_by_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "ok.jpg").write_bytes(garment_photo("dress", ["red"]))
    text = HEADER + (
        "A1,Dress,,1000,1,dress,red,M;XXL;42,ok.jpg\n"
        "A2,Skirt,,1000,1,skirt,,M;Huge,\n"
        "A3,Top,,1000,1,top,,M,missing.png\n"
        "A4,Bag,,1000,1,bag,,Free,ftp://files.example.com/bag.png\n"
    )
    with pytest.raises(CatalogueInvalid) as caught:
        parse_catalogue(text, base_dir=tmp_path)
    assert [str(e) for e in caught.value.errors] == [
        "line 3: unknown size(s) Huge (use XS-XXXL, 6-24, waist W24-W44, children's 2-3Y or 6Y,"
        " bra 34B, shoes UK3-UK12 or 35-47, or Free / ONE SIZE)",
        "line 4: image file 'missing.png' does not exist",
        "line 5: image URL 'ftp://files.example.com/bag.png' is not a well-formed http(s) URL",
    ]


def test_imported_photos_are_stored_analysed_and_searchable_with_progress(
    stack: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "red.jpg").write_bytes(garment_photo("dress", ["red"], seed=9))
    (tmp_path / "shop.csv").write_text(
        HEADER + "P1,Evening Dress,Floor length,4000,2,dress,,M;L,red.jpg\n"
        "P2,Work Trousers,Tailored,2500,3,trousers,black,M,\n"
    )
    number = random_kenyan_number()
    with transaction() as conn:
        business_id = create_business(conn, name="Photo Shop", whatsapp_number=number)
    printed = io.StringIO()

    ids = import_catalogue(
        tmp_path / "shop.csv",
        number,
        wait=True,
        timeout=60,
        progress=progress_printer(printed),
        image_store=LocalImageStore(tmp_path / "store"),
    )

    assert printed.getvalue().splitlines()[-1] == "searchable: 2/2"
    with tenant_transaction(business_id) as conn:
        row = conn.execute("SELECT images, image_analysis FROM products WHERE id = %s", (ids[0],))
        stored = row.fetchone()
        assert stored is not None
        assert stored["images"][0].startswith(str(tmp_path / "store" / business_id))
        assert stored["image_analysis"]["colors"] == ["red"]
        # The owner gave no colour; the photo's caption still makes it findable as red.
        hits = search_products(conn, SearchQuery(text="red evening dress", limit=1))
    assert [hit.sku for hit in hits] == ["P1"]
