"""Phone numbers: recognise Kenyan mobile numbers in chat, normalise them for M-Pesa, and mask
any number for logs and replies. Google's libphonenumber (`phonenumbers`) parses every way a
number is written; a Kenyan mobile number is then any 9-digit 7xx or 1xx number, including
prefixes allocated after the library's metadata was cut.

Two ways of finding a number in text share one spelling of a Kenyan number:
- in chat, words are glued to numbers ("namba0712…"), so only digits around end a number, and
  a number counts only if libphonenumber calls it a valid Kenyan mobile number;
- in logs, digits inside ids (Twilio SIDs, UUIDs) are not numbers, and anything shaped like a
  Kenyan mobile number or any `+` international number is masked: a log errs toward hiding.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

from duka.errors import Rejected

KENYA = "KE"
# What people type around the digits of a number; letters or slashes mean it is not one.
_TYPED_NUMBER = re.compile(r"\+?[\d\s\-().]*")
# A Kenyan mobile number as people write it: +254 / 254 / 00254 (even "+254 0712…") or a trunk
# 0, then 7xx or 1xx and 8 more digits, with single spaces or dashes between digit groups.
_KENYAN = r"(?:(?:(?:\+|00)?254[\s-]?0?|0)[\s-]?)?[17](?:[\s-]?\d){8}"
_IN_CHAT = re.compile(rf"(?<![\d+]){_KENYAN}(?!\d)")
_IN_LOGS = re.compile(rf"(?<![\w+-]){_KENYAN}(?!\w)|(?<![\w+])\+\d{{9,15}}(?!\w)")
# Every _IN_LOGS match holds nine digits like this, not inside a word or a dashed id (UUID).
# Most log lines hold none, and this search costs a third of _IN_LOGS (every line is redacted).
_MAYBE_IN_LOGS = re.compile(r"(?<![\w-])\d(?:[\s-]?\d){8}")


class InvalidPhoneNumber(Rejected, ValueError):
    """The customer gave something that is not a Kenyan mobile number; ask them again."""

    def __init__(self, raw: str) -> None:
        super().__init__(
            "That doesn't look like a Kenyan mobile number. "
            "Please send it like 0712 345 678 or +254 712 345 678."
        )
        self.raw = raw


def _parse(raw: str) -> PhoneNumber | None:
    """The number `raw` spells (Kenyan unless it has a country code), or None."""
    text = raw.strip().lower().removeprefix("whatsapp:").strip()
    if not _TYPED_NUMBER.fullmatch(text):
        return None
    if text.startswith("00"):  # the international prefix most phones accept; Kenya's is 000
        text = "+" + text[2:]
    try:
        return phonenumbers.parse(text, KENYA)
    except NumberParseException:
        return None


def normalize_kenyan_phone(raw: str) -> str:
    """Return the number as E.164 (`+2547XXXXXXXX` or `+2541XXXXXXXX`)."""
    number = _parse(raw)
    if number is None or not _kenyan_mobile_shape(number):
        raise InvalidPhoneNumber(raw)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _kenyan_mobile_shape(number: PhoneNumber) -> bool:
    """A Kenyan 7xx/1xx number of the right length. A range libphonenumber does not list yet
    (a newly allocated prefix) is still accepted: refusing a real customer's number loses a
    sale, while M-Pesa itself refuses a number no network holds."""
    if number.country_code != 254:
        return False
    national = phonenumbers.national_significant_number(number)
    return len(national) == 9 and national[0] in "17"


def to_msisdn(e164: str) -> str:
    """Return the number the way Daraja expects it: `2547XXXXXXXX`, no plus sign."""
    return normalize_kenyan_phone(e164).removeprefix("+")


def find_kenyan_phone(text: str) -> str | None:
    """Return the first Kenyan mobile number written anywhere in `text`, normalised."""
    match = find_kenyan_phone_span(text)
    return None if match is None else normalize_kenyan_phone(text[match[0] : match[1]])


def find_kenyan_phone_span(text: str) -> tuple[int, int] | None:
    """Return where the first Kenyan mobile number sits in `text`, so callers can mask it."""
    for match in _IN_CHAT.finditer(text):
        try:
            normalize_kenyan_phone(match.group())
        except InvalidPhoneNumber:
            continue
        return match.span()
    return None


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def phone_key(text: str) -> str:
    """A comparable form of a phone number: E.164 when it parses, else its digits."""
    number = _parse(text)
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return _digits(text)


def mask_phone(number: str) -> str:
    """`+254712345678` → `+254******678`: enough to tell numbers apart, not to call one."""
    digits = _digits(number)
    prefix = "+" if number.strip().startswith("+") else ""
    country = "254" if digits.startswith("254") else ""
    hidden = len(digits) - len(country) - 3
    return f"{prefix}{country}{'*' * max(hidden, 0)}{digits[-3:]}"


def local_format(e164: str) -> str:
    """A Kenyan number as Kenyans write it (`0712345678`); any other stays E.164."""
    return "0" + e164.removeprefix("+254") if e164.startswith("+254") else e164


def mask_local(e164: str) -> str:
    """A Kenyan number as its owner writes it, middle digits hidden (`0712 *** 678`), for
    replies that ask the customer to confirm a number without showing it whole."""
    local = local_format(e164)
    return f"{local[:4]} *** {local[-3:]}"


def phone_numbers_in(text: str) -> list[str]:
    """Every phone number written in `text` (as the log and reply redaction sees them)."""
    if _MAYBE_IN_LOGS.search(text) is None:
        return []
    return [match.group() for match in _IN_LOGS.finditer(text)]


def mask_phone_numbers(text: str, keep: Collection[str] = ()) -> str:
    """Mask every phone number in `text` except those in `keep` (compared by `phone_key`)."""
    if _MAYBE_IN_LOGS.search(text) is None:
        return text
    kept = {phone_key(number) for number in keep}

    def masked(match: re.Match[str]) -> str:
        found = match.group()
        return found if kept and phone_key(found) in kept else mask_phone(found)

    return _IN_LOGS.sub(masked, text)
