"""Kenyan mobile number normalisation: customers type numbers many ways, M-Pesa wants one."""

import re

_SEPARATORS = re.compile(r"[\s\-().]")
_SUBSCRIBER_NUMBER = re.compile(r"[17]\d{8}")

# A candidate inside free text: optional country/trunk prefix, then 7xx/1xx and 8 more digits,
# allowing the single spaces or dashes people put between digit groups.
_PHONE_IN_TEXT = re.compile(
    r"(?<![\d+])(?:(?:(?:\+|00)?254[\s-]?0?|0)[\s-]?)?[17](?:[\s-]?\d){8}(?!\d)"
)


class InvalidPhoneNumber(ValueError):
    """The customer gave something that is not a Kenyan mobile number; ask them again."""

    def __init__(self, raw: str) -> None:
        super().__init__(
            "That doesn't look like a Kenyan mobile number. "
            "Please send it like 0712 345 678 or +254 712 345 678."
        )
        self.raw = raw


def normalize_kenyan_phone(raw: str) -> str:
    """Return the number as E.164 (`+2547XXXXXXXX` or `+2541XXXXXXXX`)."""
    number = _SEPARATORS.sub("", raw.strip().lower().removeprefix("whatsapp:"))
    # Peel prefixes in order; "+254 0712..." (country code plus trunk zero) is common.
    for prefix in ("+", "00", "254", "0"):
        number = number.removeprefix(prefix)
    if not _SUBSCRIBER_NUMBER.fullmatch(number):
        raise InvalidPhoneNumber(raw)
    return f"+254{number}"


def to_msisdn(e164: str) -> str:
    """Return the number the way Daraja expects it: `2547XXXXXXXX`, no plus sign."""
    return normalize_kenyan_phone(e164).removeprefix("+")


def find_kenyan_phone(text: str) -> str | None:
    """Return the first Kenyan mobile number written anywhere in `text`, normalised."""
    match = find_kenyan_phone_span(text)
    return None if match is None else normalize_kenyan_phone(text[match[0] : match[1]])


def find_kenyan_phone_span(text: str) -> tuple[int, int] | None:
    """Return where the first Kenyan mobile number sits in `text`, so callers can mask it."""
    for match in _PHONE_IN_TEXT.finditer(text):
        try:
            normalize_kenyan_phone(match.group())
        except InvalidPhoneNumber:
            continue
        return match.span()
    return None
