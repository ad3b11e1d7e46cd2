"""Kenyan mobile numbers as customers type them, normalised for M-Pesa, masked for logs."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from duka.errors import Rejected
from duka.phone import (
    InvalidPhoneNumber,
    find_kenyan_phone,
    mask_local,
    mask_phone_numbers,
    normalize_kenyan_phone,
    phone_numbers_in,
    to_msisdn,
)

# A full number as the log test scans for it: Kenyan in any spelling, or any +international.
FULL_PHONE = re.compile(
    r"(?<![\w*+-])(?:\+?254[\s-]?|0)[17](?:[\s-]?\d){8}(?![\w*])|(?<![\w*])\+\d{11,14}(?![\w*])"
)


@pytest.mark.parametrize(
    "raw",
    [
        "0712 345 678",
        "0712-345-678",
        "712345678",
        "+254712345678",
        "254712345678",
        "whatsapp:+254712345678",
        "+254 712 345 678",
        "+254 0712 345 678",
        "00254712345678",
        "(0712) 345678",
    ],
)
def test_every_common_way_of_writing_a_safaricom_number_gives_e164(raw: str) -> None:
    assert normalize_kenyan_phone(raw) == "+254712345678"


def test_new_01_prefix_numbers_are_accepted() -> None:
    assert normalize_kenyan_phone("0110 123 456") == "+254110123456"


@pytest.mark.parametrize(
    "raw",
    ["0812345678", "071234567", "07123456789", "+255712345678", "12345", "hello", "", "0712abc678"],
)
def test_anything_else_is_rejected_with_a_message_the_customer_can_act_on(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_kenyan_phone(raw)
    assert "0712 345 678" in str(caught.value)
    assert caught.value.raw == raw
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, Rejected)


def test_a_newly_allocated_prefix_is_still_a_mobile_number() -> None:
    # The library's metadata may not list a prefix allocated after its release (0190 today):
    # refusing a real customer's number would lose the sale; M-Pesa refuses unheld numbers.
    assert normalize_kenyan_phone("0190 123 456") == "+254190123456"
    assert find_kenyan_phone("tuma kwa 0190123456") == "+254190123456"


def test_daraja_gets_the_number_without_a_plus() -> None:
    assert to_msisdn("+254712345678") == "254712345678"
    assert to_msisdn("0110123456") == "254110123456"


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("tuma prompt kwa 0712 345 678 tafadhali", "+254712345678"),
        ("my number is +254-722-000-111, thanks", "+254722000111"),
        ("size 12, 2 pieces, 0110123456", "+254110123456"),
        ("first 0711000111 then 0722000222", "+254711000111"),
        ("under 2,500 please", None),
        ("call 07123456789", None),
        ("+255712345678 is my Tanzanian line", None),
    ],
)
def test_a_number_is_found_inside_a_chat_message(text: str, phone: str | None) -> None:
    assert find_kenyan_phone(text) == phone


def test_a_reply_shows_a_number_to_confirm_with_its_middle_digits_hidden() -> None:
    assert mask_local("+254712345678") == "0712 *** 678"
    assert mask_local("+254110123456") == "0110 *** 456"


def test_logs_mask_numbers_in_every_spelling_but_not_digits_inside_ids() -> None:
    text = (
        "to whatsapp:+254712345678, 0722 123 456 and 254733111222 or +14155238886; "
        "sid SM0712345678abcdef, id 4f0c9e2a-1b7d-4c55-9a8e-2d1f3b6a7c90, at 2026-11-30T22:12:41"
    )
    masked = mask_phone_numbers(text)
    assert FULL_PHONE.search(masked) is None, masked
    assert "+254******678" in masked
    assert "SM0712345678abcdef" in masked
    assert "4f0c9e2a-1b7d-4c55-9a8e-2d1f3b6a7c90" in masked
    assert phone_numbers_in(text) == [
        "+254712345678",
        "0722 123 456",
        "254733111222",
        "+14155238886",
    ]


def test_a_number_kept_visible_is_recognised_in_any_spelling() -> None:
    assert mask_phone_numbers("call 0712 345 678", keep=["+254712345678"]) == "call 0712 345 678"
    assert mask_phone_numbers("call 0712345679", keep=["+254712345678"]) == "call *******679"


@given(st.text(alphabet="0123456789+ -:abSM_()", max_size=60))
def test_no_full_number_survives_log_masking(text: str) -> None:
    assert FULL_PHONE.search(mask_phone_numbers(text)) is None
