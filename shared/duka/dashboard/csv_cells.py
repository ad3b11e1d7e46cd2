"""CSV for spreadsheets, safe to open: a cell a spreadsheet would run as a formula is quoted.

A customer chooses her own name and messages, so an export must never hand Excel or Google
Sheets `=HYPERLINK(...)` or `+254…` to evaluate (CSV injection, OWASP). A text cell that starts
with = + - @ or a tab or carriage return gets a leading apostrophe, which spreadsheets show as
text and do not display. Numbers we wrote ourselves (amounts, counts) stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from duka.dashboard.formatting import NAIROBI

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | Decimal | datetime | None


def safe_cell(value: Cell) -> str | int | Decimal:
    if value is None:
        return ""
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, datetime):
        return value.astimezone(NAIROBI).strftime("%Y-%m-%d %H:%M")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
