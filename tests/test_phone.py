"""Kenyan mobile numbers as customers type them, normalised for M-Pesa."""

import pytest

from duka.phone import InvalidPhoneNumber, find_kenyan_phone, normalize_kenyan_phone, to_msisdn


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
