"""Checking pickup points typed in the form or read from a CSV file, with an error per row.

A CSV has a header row with the columns name, area, directions, hours, fee (directions and
hours may be left out). Each bad row is refused with its row number (the header is row 1) and
the good rows are saved. A text cell starting with =, +, - or @ is refused: a spreadsheet opening
an export of it would run it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from duka.delivery.pickup_points import (
    MAX_AREA,
    MAX_DIRECTIONS,
    MAX_HOURS,
    MAX_NAME,
    NewPoint,
)

COLUMNS = ("name", "area", "directions", "hours", "fee")
REQUIRED = ("name", "area", "fee")
MAX_ROWS = 500
_FORMULA = ("=", "+", "-", "@")
_LIMITS = {"name": MAX_NAME, "area": MAX_AREA, "directions": MAX_DIRECTIONS, "hours": MAX_HOURS}


@dataclass
class Checked:
    points: list[NewPoint] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "Row 3: the fee must be …"


def check_point(values: Mapping[str, str]) -> NewPoint | str:
    """The point, or what is wrong with it (one sentence, for the owner)."""
    text = {key: " ".join((values.get(key) or "").split()) for key in _LIMITS}
    for key in ("name", "area"):
        if not text[key]:
            return f"the {key} is missing."
    for key, limit in _LIMITS.items():
        if text[key].startswith(_FORMULA):
            return f"the {key} starts with {text[key][0]!r}, which spreadsheets run as a formula."
        if len(text[key]) > limit:
            return f"the {key} is over {limit} characters."
    raw_fee = (values.get("fee") or "").replace(",", "").strip()
    if raw_fee.upper().startswith("KES"):
        raw_fee = raw_fee[3:].strip()
    if not raw_fee.isdigit():
        return f"the fee {raw_fee or '(empty)'!r} must be a whole number of shillings, 0 or more."
    return NewPoint(text["name"], text["area"], text["directions"], text["hours"], int(raw_fee))


def read_csv(data: bytes) -> Checked:
    """The good points of an uploaded CSV and an error per refused row."""
    checked = Checked()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        checked.errors.append("The file is not UTF-8 text: save it from your spreadsheet as CSV.")
        return checked
    reader = csv.DictReader(io.StringIO(text))
    header = [key_.strip().lower() for key_ in reader.fieldnames or []]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        checked.errors.append(
            f"Row 1: the header needs the columns {', '.join(COLUMNS)};"
            f" missing {', '.join(missing)}."
        )
        return checked
    reader.fieldnames = header
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            checked.errors.append(f"Row {number}: only {MAX_ROWS} points are read at a time.")
            break
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        point = check_point({key: row.get(key) or "" for key in COLUMNS})
        if isinstance(point, str):
            checked.errors.append(f"Row {number}: {point}")
        elif point.name.lower() in seen:
            checked.errors.append(f"Row {number}: {point.name} is named twice in the file.")
        else:
            seen.add(point.name.lower())
            checked.points.append(point)
    return checked
