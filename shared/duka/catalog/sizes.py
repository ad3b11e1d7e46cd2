"""Every size a boutique sells: one spelling per size, and a size said in chat matched to it.

Canonical spellings (what the catalogue stores and the customer is shown):
- letters XS–XXXL ("2XL" -> "XXL"); one size ("ONE SIZE", "Free size", "OS") -> "FREE";
- dress sizes 6–24 and EU shoe sizes 35–47 as bare numbers ("12", "38"; "EU 38" -> "38");
- UK shoe sizes 3–12 -> "UK5"; waist sizes 24–44 -> "W32"; children's -> "2-3Y", "6Y";
  bra sizes -> "34B", "36DD".
A bare number in a catalogue row is read by the row's garment: on jeans or trousers (or when a
number only a waist can be, 25–34, is in the row) a waist; on shoes a UK (3–12) or EU (35–47)
size. "UK 10" on a garment that is not a shoe is the dress size "10".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from duka.orchestrator import vocabulary as vocab

DRESS_RANGE = vocab.CLOTHING_SIZE_RANGE  # 6–24
EU_SHOE_RANGE = range(35, 48)
UK_SHOE_RANGE = range(3, 13)
WAIST_RANGE = range(24, 45)
WAIST_ONLY = range(25, 35)  # a bare number here can be nothing but a waist
CHILD_AGES = range(1, 17)
BRA_BANDS = range(28, 47, 2)
BRA_CUPS = ("AA", "A", "B", "C", "D", "DD", "DDD", "E", "F", "FF", "G", "GG", "H")
WAIST_CATEGORIES = frozenset({"jeans", "trousers"})
FREE = "FREE"
SIZES_ACCEPTED = (  # what an owner is told when a size is refused
    "XS-XXXL, 6-24, waist W24-W44, children's 2-3Y or 6Y, bra 34B, shoes UK3-UK12 or 35-47,"
    " or Free / ONE SIZE"
)
_FREE_WORDS = frozenset({"FREE", "FREE SIZE", "FREESIZE", "ONE SIZE", "ONESIZE", "OS"})

_BARE = re.compile(r"(\d{1,2})")
_WAIST = re.compile(r"(?:W|WAIST)\s*(\d{2})|(\d{2})\s*W")
_UK = re.compile(r"UK\s*(\d{1,2})")
_EU = re.compile(r"EU\s*(\d{2})")
_BRA = re.compile(rf"(\d{{2}})\s*({'|'.join(sorted(BRA_CUPS, key=len, reverse=True))})")
_CHILD_UNIT = r"\s*(?:Y|YR|YRS|YEAR|YEARS)"
_CHILD_RANGE = re.compile(rf"(\d{{1,2}})\s*-\s*(\d{{1,2}})(?:{_CHILD_UNIT})?")
_CHILD_AGE = re.compile(rf"(\d{{1,2}}){_CHILD_UNIT}")
_NUMBERED = re.compile(r"(W|UK|EU)?(\d{1,2})(Y)?")


def _spaced(raw: str) -> str:
    return " ".join(raw.strip().upper().split())


def waist(number: int) -> str | None:
    return f"W{number}" if number in WAIST_RANGE else None


def bra(band: int, cup: str) -> str | None:
    return f"{band}{cup.upper()}" if band in BRA_BANDS and cup.upper() in BRA_CUPS else None


def child(first: int, last: int | None = None) -> str | None:
    """'2-3Y' for a range of ages, '6Y' for one age."""
    if last is None:
        return f"{first}Y" if first in CHILD_AGES else None
    return (
        f"{first}-{last}Y" if first in CHILD_AGES and last in CHILD_AGES and first < last else None
    )


def _bare(number: int, *, shoe_row: bool, waist_row: bool) -> str | None:
    if shoe_row:
        if number in UK_SHOE_RANGE:
            return f"UK{number}"
        return str(number) if number in EU_SHOE_RANGE else None
    if waist_row and number in WAIST_RANGE:
        return f"W{number}"
    if number in DRESS_RANGE or number in EU_SHOE_RANGE:
        return str(number)
    return waist(number) if number in WAIST_ONLY else None


def canonical_size(raw: str, *, shoe_row: bool = False, waist_row: bool = False) -> str | None:
    """The catalogue spelling of `raw`, or None when it is no size we know."""
    text = _spaced(raw)
    letters = vocab.LETTER_SIZES.get(text.lower())
    if letters:
        return letters
    if text in _FREE_WORDS:
        return FREE
    if match := _BARE.fullmatch(text):
        return _bare(int(match[1]), shoe_row=shoe_row, waist_row=waist_row)
    if match := _WAIST.fullmatch(text):
        return waist(int(match[1] or match[2]))
    if match := _UK.fullmatch(text):
        number = int(match[1])
        if not shoe_row and number in DRESS_RANGE:
            return str(number)  # a UK dress size is what a bare number means
        return f"UK{number}" if number in UK_SHOE_RANGE else None
    if match := _EU.fullmatch(text):
        return match[1] if int(match[1]) in EU_SHOE_RANGE else None
    if match := _BRA.fullmatch(text):
        return bra(int(match[1]), match[2])
    if match := _CHILD_RANGE.fullmatch(text):
        return child(int(match[1]), int(match[2]))
    if match := _CHILD_AGE.fullmatch(text):
        return child(int(match[1]))
    return None


def canonical_sizes(raw: Sequence[str], category: str) -> list[str | None]:
    """Each of one product's sizes in its catalogue spelling (None: no size we know).

    `category` is the product's canonical garment; with the other sizes in the row it decides
    what a bare number is.
    """
    values = [value.strip() for value in raw]
    shoe_row = category in vocab.SHOE_CATEGORIES
    waist_row = not shoe_row and (
        category in WAIST_CATEGORIES or any(v.isdigit() and int(v) in WAIST_ONLY for v in values)
    )
    return [canonical_size(v, shoe_row=shoe_row, waist_row=waist_row) for v in values]


def catalogue_sizes(raw: Sequence[str], category: str) -> tuple[list[str], list[str]]:
    """(canonical sizes in order, without repeats; what was not a size) of one product."""
    values = [value.strip() for value in raw if value.strip()]
    sizes: list[str] = []
    unknown: list[str] = []
    for value, size in zip(values, canonical_sizes(values, category), strict=True):
        if size is None:
            unknown.append(value)
        elif size not in sizes:
            sizes.append(size)
    return sizes, unknown


def _numbered(size: str) -> tuple[str, str] | None:
    """('W', '32') for W32, ('', '12') for 12, ('Y', '6') for 6Y; None for letters, bras, ranges."""
    match = _NUMBERED.fullmatch(size)
    if match is None:
        return None
    return match[1] or match[3] or "", match[2]


def match_size(said: str, offered: Iterable[str]) -> str | None:
    """The product's own size that `said` means: exactly, or by number when one side is bare.

    "32" meets W32, "38" meets EU38, "12" meets UK12 -- but only when the product offers a
    single size with that number; a product's own sizes decide what a bare number is.
    """
    wanted = _spaced(said)
    sizes = [_spaced(s) for s in offered]
    if wanted in sizes:
        return wanted
    spoken = _numbered(wanted)
    if spoken is None:
        return None
    kind, number = spoken
    found = [
        size
        for size in sizes
        if (own := _numbered(size)) is not None and own[1] == number and "" in (kind, own[0])
    ]
    return found[0] if len(found) == 1 else None
