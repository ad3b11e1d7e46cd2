"""Sizes a customer names in chat: letters, dress and shoe numbers, waists, children's and bras.

A number is a size only where a size is meant: after "size", "saizi", "uk", "eu" or "waist",
after "in" ("in 32?"), or in a spelling only a size has (W32, 34B, 2-3Y). The reading is the
catalogue's spelling where the kind is plain (W32, 2-3Y, 34B) and the bare number otherwise
("uk 10" -> "10", "eu 38" -> "38", "size 32" -> "32"): the product's own sizes then decide
whether "32" is W32 or "12" is UK12 (`catalog/sizes.py:match_size`).
"""

from __future__ import annotations

import re

from duka.catalog import sizes as kinds
from duka.orchestrator import vocabulary as vocab

_LETTERS = "|".join(
    re.escape(w).replace(r"\ ", r"\s+") for w in sorted(vocab.LETTER_SIZES, key=len, reverse=True)
)
_CUPS = "|".join(c.lower() for c in sorted(kinds.BRA_CUPS, key=len, reverse=True))
_AGE_UNIT = r"(?:years?|yrs?|y)"
_KIDS_RANGE = re.compile(rf"(\d{{1,2}})\s?-\s?(\d{{1,2}})(?:\s?{_AGE_UNIT})?")
_KIDS_AGE = re.compile(rf"(\d{{1,2}})\s?{_AGE_UNIT}")
_BRA = re.compile(rf"(\d{{2}})({_CUPS})")
_WAIST = re.compile(r"w\s?(\d{2})|(\d{2})\s?w")
_PREFIXED = re.compile(r"(?:uk|eu)\s?(\d{1,2})")
_TOKEN = (
    rf"(?:{_KIDS_RANGE.pattern}|{_KIDS_AGE.pattern}|{_BRA.pattern}|{_WAIST.pattern}"
    rf"|{_PREFIXED.pattern}|{_LETTERS}|\d{{1,2}})(?![\w-])"
)
_LIST = rf"{_TOKEN}(?:\s*(?:,|/|\bor\b|\band\b|\bau\b|\bna\b|&)\s*{_TOKEN})*"
_AFTER_CUE = re.compile(
    r"\b(?:(?P<waist>waist|kiuno)(?:\s+(?:size|saizi))?|(?P<cue>sizes?|saizi|sz|uk|eu)"
    r"|(?P<near>in)\s+(?:an?\s+)?)(?:\s+(?:is|ni|ya))?\s*:?\s*"
    rf"(?P<list>{_LIST})\b"
    r"(?!\s*(?:min|mins|minutes|hours|hrs|days|weeks|k|thao|bob|pieces|pcs|pairs)\b)"
)
# Spellings only a size has, read without a cue: 2-3 yrs, 6y, 34b, w32, 32w, uk5, eu38.
_ONLY_A_SIZE = re.compile(
    rf"(?<![\w#-])(?:\d{{1,2}}\s?-\s?\d{{1,2}}\s?{_AGE_UNIT}|\d{{1,2}}(?:yrs?|y)|{_BRA.pattern}"
    r"|w\d{2}|\d{2}w|(?:uk|eu)\d{1,2})(?![\w-])"
)
_LETTER_WORD = re.compile(r"\b(xs|xl|xxl|xxxl|2xl|3xl|extra\s+small|extra\s+large|x-large)\b")
_LETTER_AS_TYPED = re.compile(r"(?<![\w'#-])([SML])(?![\w'-])")
_NUMBERED_GARMENTS = kinds.WAIST_CATEGORIES | vocab.SHOE_CATEGORIES


def _number(number: int, cue: str, categories: tuple[str, ...]) -> str | None:
    """A bare number after a cue: dress sizes always; waist and shoe numbers unless the
    message names another garment ("size 40 dress" is no size); 2-5 only after "size"."""
    if cue == "waist":
        return kinds.waist(number)
    if number in kinds.DRESS_RANGE:
        return str(number)
    numbered = not categories or bool(_NUMBERED_GARMENTS.intersection(categories))
    if numbered and kinds.WAIST_RANGE.start <= number <= kinds.EU_SHOE_RANGE[-1]:
        return str(number)
    if cue == "cue" and number in range(2, 6):
        return str(number)
    return None


def _read(token: str, cue: str, categories: tuple[str, ...]) -> str | None:
    token = " ".join(token.split())
    if match := _KIDS_RANGE.fullmatch(token):
        return kinds.child(int(match[1]), int(match[2]))
    if match := _KIDS_AGE.fullmatch(token):
        return kinds.child(int(match[1]))
    if match := _BRA.fullmatch(token):
        return kinds.bra(int(match[1]), match[2])
    if match := _WAIST.fullmatch(token):
        return kinds.waist(int(match[1] or match[2]))
    if match := _PREFIXED.fullmatch(token):
        return _number(int(match[1]), "cue", categories)
    if token.isdigit():
        return _number(int(token), cue, categories)
    return vocab.LETTER_SIZES.get(token)


def take_sizes(
    text: str, as_typed: str, categories: tuple[str, ...]
) -> tuple[tuple[str, ...], list[tuple[int, int]]]:
    """(sizes named, spans read) in a normalised message; `as_typed` keeps a capital "M"."""
    sizes: list[str] = []
    spans: list[tuple[int, int]] = []
    for match in _AFTER_CUE.finditer(text):
        cue = next(name for name in ("waist", "cue", "near") if match.group(name))
        tokens = [m.group() for m in re.finditer(_TOKEN, match.group("list"))]
        read = [_read(token, cue, categories) for token in tokens]
        if any(read):
            sizes.extend(size for size in read if size)
            spans.append(match.span())
    for match in _ONLY_A_SIZE.finditer(text):
        if not any(start <= match.start() < end for start, end in spans):
            size = _read(match.group(), "cue", categories)
            if size:
                sizes.append(size)
                spans.append(match.span())
    for match in _LETTER_WORD.finditer(text):
        sizes.append(vocab.LETTER_SIZES[" ".join(match.group(1).split())])
        spans.append(match.span())
    # A lone capital S/M/L ("nataka M") is a size; a lower-case "m" or "s" usually isn't.
    sizes.extend(m.group(1) for m in _LETTER_AS_TYPED.finditer(as_typed))
    return tuple(dict.fromkeys(sizes)), spans
