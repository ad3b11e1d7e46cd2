"""Reading a pasted M-Pesa confirmation SMS or code, and never mistaking a message for one."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from duka.orders.mpesa_sms import read_pasted_payment
from duka.orders.push import account_reference
from duka_local.sandboxes.daraja_c2b_sandbox import confirmation_sms, new_receipt
from tests.journeys import DEMO_CSV

TILL_SMS = (
    "QFT4ABCDE1 Confirmed. Ksh2,800.00 paid to NYOTA BOUTIQUE. on 1/12/26 at 10:03 AM New "
    "M-PESA balance is Ksh1,200.00. Transaction cost, Ksh0.00. Amount you can transact within "
    "the day is 499,000.00."
)
PAYBILL_SMS = (
    "QFT4ABCDE2 Confirmed. Ksh3,150.00 sent to NYOTA BOUTIQUE for account 3F2A9C1B12 on "
    "1/12/26 at 10:03 AM New M-PESA balance is Ksh50.00. Transaction cost, Ksh0.00."
)
SWAHILI_SMS = (
    "QFT4ABCDE3 Imethibitishwa. Ksh2,800.00 imelipwa kwa NYOTA BOUTIQUE. tarehe 1/12/26 saa "
    "10:03 AM. Salio lako jipya la M-PESA ni Ksh1,200.00."
)


def test_a_till_sms_gives_its_code_amount_and_payee():
    pasted = read_pasted_payment(TILL_SMS)

    assert pasted is not None and pasted.is_sms
    assert pasted.receipt == "QFT4ABCDE1"
    assert pasted.amount == Decimal("2800.00")
    assert pasted.paid_to == "NYOTA BOUTIQUE"
    assert pasted.account is None


def test_a_paybill_sms_gives_the_account_typed():
    pasted = read_pasted_payment(PAYBILL_SMS)

    assert pasted is not None
    assert (pasted.receipt, pasted.amount, pasted.account) == (
        "QFT4ABCDE2",
        Decimal("3150.00"),
        "3F2A9C1B12",
    )


def test_a_swahili_sms_is_read_too():
    pasted = read_pasted_payment(SWAHILI_SMS)

    assert pasted is not None and pasted.is_sms
    assert (pasted.receipt, pasted.amount) == ("QFT4ABCDE3", Decimal("2800.00"))


@pytest.mark.parametrize(
    "text",
    ["QFT4ABCDE1", "qft4abcde1", " QFT4ABCDE1. ", "my code is QFT4ABCDE1", "nimelipa QFT4ABCDE1"],
)
def test_a_bare_code_is_a_claim_without_an_amount(text: str):
    pasted = read_pasted_payment(text)

    assert pasted is not None and not pasted.is_sms
    assert pasted.receipt == "QFT4ABCDE1" and pasted.amount is None


@pytest.mark.parametrize(
    "text", ["qft4 abcde1", "QFT4 ABCDE1", "Qft4Abcde1", "qft4abcde1.", "QFT4A BCDE1"]
)
def test_a_bare_code_in_lower_case_or_in_two_pieces_is_read(text: str):
    pasted = read_pasted_payment(text)

    assert pasted is not None and pasted.receipt == "QFT4ABCDE1"


@pytest.mark.parametrize(
    "text",
    [
        "0712345678",
        "0712 345 678",
        "0712 345678",
        "+254 712 345 678",
        "254712345678",
        "+254712345678",
        "0110 123 456",
        "nitumie prompt kwa 0722 000 111",
    ],
)
def test_a_kenyan_phone_number_is_never_a_code(text: str):
    assert read_pasted_payment(text) is None


def test_an_order_reference_is_never_a_code():
    references = [account_reference(str(uuid.uuid4())) for _ in range(500)]
    lettered = [r for r in references if r[0].isalpha()]  # the ones that look most like codes

    assert lettered
    for reference in references:
        for text in (reference, reference.lower(), f"my order is {reference}"):
            assert read_pasted_payment(text) is None, text
        assert read_pasted_payment(f"{reference[:4]} {reference[4:]}") is None, reference


def test_no_sku_of_the_demo_catalogue_is_a_code():
    with DEMO_CSV.open() as handle:
        skus = [row["sku"] for row in csv.DictReader(handle)]

    assert len(skus) > 30
    for sku in skus:
        spaced = sku.replace("-", " ")
        for text in (sku, sku.lower(), spaced, spaced.lower(), sku.replace("-", "")):
            assert read_pasted_payment(text) is None, text
            assert read_pasted_payment(f"{text} size M") is None, text
        assert read_pasted_payment(f"nataka {sku} na {skus[0]}") is None, sku


@pytest.mark.parametrize(
    "text",
    [
        "XL",
        "trousers 32",
        "pay 2500",
        "size 10 blue",
        "2 pieces",
        "size 38",
        "0712345678",
        "+254712345678",
        "M-Pesa imekataa",
        "I paid 2800 to your till",
        "nimelipa",
        "DENIMJACKET",
        "Kilimani, Argwings Kodhek Rd, Apt 4B",
        "do you have the ABC123 model in XL?",
        "QFT4ABCDE1 QFT4ABCDE2",  # two codes: ask, don't guess
        "I sent the money yesterday evening from my wife's phone, the code was QFT4ABCDE1 i think",
    ],
)
def test_ordinary_messages_are_not_taken_for_a_code(text: str):
    assert read_pasted_payment(text) is None


def test_the_sandbox_sms_reads_back_as_what_was_paid():
    receipt = new_receipt()
    sms = confirmation_sms(receipt, 2800, "NYOTA BOUTIQUE", "3F2A9C1B12", datetime.now(UTC))
    pasted = read_pasted_payment(sms)

    assert pasted is not None
    assert (pasted.receipt, pasted.amount, pasted.account) == (
        receipt,
        Decimal("2800.00"),
        "3F2A9C1B12",
    )
