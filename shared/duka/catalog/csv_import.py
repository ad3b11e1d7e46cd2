"""Parse a catalogue CSV completely before touching the database: one bad row imports nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlparse

from duka.catalog.sizes import SIZES_ACCEPTED, catalogue_sizes
from duka.catalog.words import canonical_category
from duka.errors import Rejected
from duka.images.limits import ImageTooLarge, open_image
from duka.store.products import ProductInput

COLUMNS = ("sku", "name", "description", "price", "stock", "category", "colors", "sizes", "images")
REQUIRED = ("sku", "name", "price", "stock")


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class CatalogueInvalid(Rejected):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def _sizes(raw: str | None, category: str) -> tuple[str, ...]:
    """The row's sizes in their catalogue spelling; a size we do not know refuses the row."""
    sizes, unknown = catalogue_sizes(_split(raw), category)
    if unknown:
        raise ValueError(f"unknown size(s) {', '.join(unknown)} (use {SIZES_ACCEPTED})")
    return tuple(sizes)


def _check_image(ref: str, base_dir: Path | None) -> None:
    if "://" in ref:
        parsed = urlparse(ref)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"image URL {ref!r} is not a well-formed http(s) URL")
    elif base_dir is not None:
        path = base_dir / ref
        if not path.is_file():
            raise ValueError(f"image file {ref!r} does not exist")
        try:
            open_image(path).close()  # the header only: a too-large picture is never decoded
        except ImageTooLarge as exc:
            raise ValueError(f"image file {ref!r}: {exc}") from None
        except OSError:
            raise ValueError(f"image file {ref!r} is not a picture we can read") from None


def _parse_row(
    row: dict[str, str | None], line: int, seen: set[str], base_dir: Path | None
) -> ProductInput:
    missing = [c for c in REQUIRED if not (row.get(c) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    sku = (row["sku"] or "").strip()
    if sku in seen:
        raise ValueError(f"sku {sku!r} appears twice")
    try:
        price = Decimal((row["price"] or "").replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"price {row['price']!r} is not a number") from None
    if price <= 0:
        raise ValueError("price must be more than 0")
    try:
        stock = int((row["stock"] or "").strip())
    except ValueError:
        raise ValueError(f"stock {row['stock']!r} is not a whole number") from None
    if stock < 0:
        raise ValueError("stock cannot be negative")
    category = (row.get("category") or "").strip().lower()
    sizes = _sizes(row.get("sizes"), canonical_category(category) or category)
    images = _split(row.get("images"))
    for image in images:
        _check_image(image, base_dir)
    seen.add(sku)
    return ProductInput(
        sku=sku,
        name=(row["name"] or "").strip(),
        description=(row.get("description") or "").strip(),
        price=price,
        stock=stock,
        category=category,
        colors=tuple(c.lower() for c in _split(row.get("colors"))),
        sizes=sizes,
        images=images,
    )


def parse_catalogue(text: str, base_dir: Path | None = None) -> list[ProductInput]:
    """Every row validated; `base_dir` (the CSV's folder) makes local image paths checkable."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CatalogueInvalid([RowError(1, f"header lacks column(s) {', '.join(missing)}")])
    reader.fieldnames = header
    items: list[ProductInput] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for row in reader:
        try:
            items.append(_parse_row(row, reader.line_num, seen, base_dir))
        except ValueError as exc:
            errors.append(RowError(reader.line_num, str(exc)))
    if errors:
        raise CatalogueInvalid(errors)
    if not items:
        raise CatalogueInvalid([RowError(1, "no products in the file")])
    return items
