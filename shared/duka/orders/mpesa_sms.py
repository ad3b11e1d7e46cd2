"""Read an M-Pesa code, or a whole pasted M-Pesa confirmation SMS, out of a customer message.

A Till or Paybill payment is proved by its receipt: the customer pastes Safaricom's SMS
("QFT4ABCDE1 Confirmed. Ksh2,800.00 paid to NYOTA BOUTIQUE. on 1/12/26 ...", "... sent to X for
account 3F2A9C1B12 on ...", "QFT4ABCDE1 Imethibitishwa. Ksh2,800.00 imelipwa kwa ...") or types
just the code. Nothing here is trusted: the code is checked against Daraja's records
(duka.orders.code_claims). This reader only has to be sure a message IS a code or an SMS, so an
ordinary message ("XL", "0712345678", "M-Pesa imekataa") never becomes a claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# A receipt: ten capitals and digits, starting with a letter, with at least two digits and two
# letters (QFT4ABCDE1, TAB12CD3EF); a word or a phone number never fits.
_RECEIPT = re.compile(r"[A-Z][A-Z0-9]{9}")
# Our own order reference (duka.orders.push.account_reference) is ten hex capitals; a receipt
# starts with its year's letter (Q 2022 ... U 2026), never A-F, so it always has a letter past F.
_ORDER_REFERENCE = re.compile(r"[0-9A-F]{10}")
# The SMS proper starts with its receipt then "Confirmed": she may write a few words before it
# ("nimetuma. QFT4ABCDE1 Confirmed. Ksh...").
_SMS_START = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9]{9})\s+(?i:confirmed|imethibitishwa)\b")
_AMOUNT = re.compile(r"\bK(?:sh|es)\.?\s?([\d,]+(?:\.\d{1,2})?)", re.IGNORECASE)
_ACCOUNT = re.compile(r"\b(?:for account|kwa akaunti|akaunti)\s+([A-Za-z0-9-]{1,20})", re.I)
# "paid to NYOTA BOUTIQUE." / "sent to NYOTA BOUTIQUE for account" / "imelipwa kwa X."
_PAID_TO = re.compile(
    r"\b(?:paid to|sent to|imelipwa kwa|imetumwa kwa)\s+(.+?)(?:\s+(?:for account|kwa akaunti)"
    r"\b|\.\s|\s+on\s|\s+tarehe\s|$)",
    re.IGNORECASE,
)
# "my code is QFT4ABCDE1", "nimelipa QFT4ABCDE1": a few words around one code, no more.
_MAX_WORDS_WITH_CODE = 8


@dataclass(frozen=True)
class PastedPayment:
    receipt: str
    amount: Decimal | None  # what the SMS says was paid; None for a bare code
    account: str | None  # the account typed for a Paybill payment
    paid_to: str | None  # the name M-Pesa shows for the shop
    is_sms: bool


def _is_receipt(word: str) -> bool:
    digits = sum(c.isdigit() for c in word)
    return (
        bool(_RECEIPT.fullmatch(word)) and 2 <= digits <= 8 and not _ORDER_REFERENCE.fullmatch(word)
    )


def _words(text: str) -> list[str]:
    return [w.strip(".,:;!?()\"'*") for w in text.split()]


def _amount(text: str) -> Decimal | None:
    match = _AMOUNT.search(text)
    if match is None:
        return None
    try:
        return Decimal(match.group(1).replace(",", "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def read_sms(text: str) -> PastedPayment | None:
    """A pasted confirmation SMS: its code (the word before "Confirmed"), amount, account and
    payee."""
    start = _SMS_START.search(text)
    if start is None or not _is_receipt(start.group(1)):
        return None
    receipt, text = start.group(1), text[start.start() :]
    amount = _amount(text)
    if amount is None:
        return None
    account = _ACCOUNT.search(text)
    paid_to = _PAID_TO.search(text)
    return PastedPayment(
        receipt=receipt,
        amount=amount,
        account=account.group(1).upper() if account else None,
        paid_to=paid_to.group(1).strip().rstrip(".") if paid_to else None,
        is_sms=True,
    )


def _bare_code(words: list[str]) -> str | None:
    """The message is just a code, in any case, typed whole or in two pieces ("qft4 abcde1").
    Each piece must hold a letter, so "trousers 32" or "pay 2500" never joins into one."""
    if len(words) == 2 and not all(any(c.isalpha() for c in w) for w in words):
        return None
    joined = "".join(words).upper()
    return joined if len(words) <= 2 and _is_receipt(joined) else None


def read_code(text: str) -> PastedPayment | None:
    """A bare code ("qft4abcde1", "QFT4 ABCDE1"), or one capitalised code in a short message."""
    words = [w for w in _words(text) if w]
    bare = _bare_code(words)
    if bare is not None:
        return PastedPayment(bare, None, None, None, is_sms=False)
    codes = {w for w in words if _is_receipt(w)}
    if len(codes) != 1 or len(words) > _MAX_WORDS_WITH_CODE:
        return None
    return PastedPayment(codes.pop(), None, None, None, is_sms=False)


def read_pasted_payment(text: str) -> PastedPayment | None:
    """The M-Pesa payment a message pastes, if it pastes one."""
    text = text.strip()
    return read_sms(text) or read_code(text)
