"""M-Pesa prompts reach only phones that asked for them: paying from a number other than the
customer's own WhatsApp number needs a yes in chat, and is capped per customer and per number.

Chat-level: WhatsApp simulator → functions → PayLink sandbox; earlier uses of a number are made
by real checkouts (as the application role), counted from the rows they stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from duka.orders.checkout import CheckoutStatus
from duka_local.simulator import WhatsAppSimulator
from tests.conftest import random_kenyan_number
from tests.journeys import customer_phone, sandbox_pushes, say
from tests.payments_support import Shop, as_app_role, wait_until


@pytest.fixture()
def shop(stack, boutique, admin_db, monkeypatch) -> Iterator[Shop]:
    with as_app_role(stack, monkeypatch):
        yield Shop(boutique["id"], boutique["number"], admin_db, stack)


def local(e164: str) -> str:
    """+254722123456 → 0722 123 456, as a customer types it."""
    digits = "0" + e164.removeprefix("+254")
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def masked(e164: str) -> str:
    digits = "0" + e164.removeprefix("+254")
    return f"{digits[:4]} *** {digits[7:]}"


def prompts_to(stack: dict[str, str], e164: str) -> list[dict[str, Any]]:
    return [p for p in sandbox_pushes(stack) if p["phone"].lstrip("+") == e164.lstrip("+")]


def up_to_the_payment(phone: WhatsAppSimulator, checkout_text: str) -> str:
    """Pick a dress, check out with `checkout_text`, give the address; the agent's answer."""
    say(phone, "red bodycon dress")
    say(phone, "I want #1 in size S")
    asked = say(phone, checkout_text)
    assert "Where should we deliver" in asked, asked
    return say(phone, "Deliver to Westlands, Sarit Centre")


def earlier_use(shop: Shop, conversation_id: str, customer: str, paying: str) -> None:
    """A checkout this customer paid from `paying`, settled so the chat may order again."""
    result = shop.checkout(conversation_id, customer, [("T-T1", 1, "M")], pay_phone=paying)
    assert result.status is CheckoutStatus.STK_SENT, result
    shop.admin.execute("UPDATE orders SET status = 'cancelled' WHERE id = %s", (result.order_id,))


def conversation_of(shop: Shop, phone: WhatsAppSimulator) -> str:
    row = shop.admin.execute(
        "SELECT id FROM conversations WHERE business_id = %s AND customer_phone = %s",
        (shop.business_id, phone.customer_number),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def test_another_number_is_prompted_only_after_a_yes_and_only_once(stack, boutique):
    phone = customer_phone(stack, boutique["number"])
    paying = random_kenyan_number()

    question = up_to_the_payment(phone, f"checkout, pay with {local(paying)}")
    before_yes = prompts_to(stack, paying)
    sent = say(phone, "YES")

    assert f"Send the M-Pesa prompt to {masked(paying)}?" in question
    assert "asked for their PIN" in question and local(paying) not in question
    assert before_yes == []
    assert "I've sent an M-Pesa prompt to 0" + paying.removeprefix("+254") in sent
    assert len(wait_until(lambda: prompts_to(stack, paying))) == 1
    assert prompts_to(stack, phone.customer_number) == []


def test_no_sends_nothing_and_checkout_then_prompts_the_customers_own_phone(stack, boutique):
    phone = customer_phone(stack, boutique["number"])
    paying = random_kenyan_number()

    up_to_the_payment(phone, f"checkout, pay with {local(paying)}")
    declined = say(phone, "no")
    own = say(phone, "checkout")

    assert "Okay, I haven't sent any M-Pesa prompt" in declined
    assert prompts_to(stack, paying) == []
    assert "I've sent an M-Pesa prompt" in own
    assert len(wait_until(lambda: prompts_to(stack, phone.customer_number))) == 1


def test_swahili_customer_is_asked_in_swahili_and_anything_but_yes_pushes_nothing(stack, boutique):
    phone = customer_phone(stack, boutique["number"])
    paying = random_kenyan_number()
    say(phone, "Habari, nataka gauni nyekundu")
    say(phone, "nataka ya kwanza size S")
    say(phone, f"nataka kulipa na {local(paying)}")

    question = say(phone, "niko Westlands, Sarit Centre")
    unclear = say(phone, "aje?")
    declined = say(phone, "hapana")

    assert f"Nitume ombi la M-Pesa kwa {masked(paying)}?" in question
    assert f"Nitume ombi la M-Pesa kwa {masked(paying)}?" in unclear  # asked again
    assert "Sawa, sijatuma ombi lolote la M-Pesa" in declined
    assert prompts_to(stack, paying) == []


def test_a_stale_yes_asks_again_instead_of_prompting(stack, boutique, admin_db):
    phone = customer_phone(stack, boutique["number"])
    paying = random_kenyan_number()
    up_to_the_payment(phone, f"checkout, pay with {local(paying)}")
    admin_db.execute(  # the customer answers eleven minutes later
        "UPDATE conversations SET metadata = jsonb_set(metadata,"
        " '{payer_confirmation,asked_at}', to_jsonb((now() - interval '11 minutes')::text))"
        " WHERE business_id = %s AND customer_phone = %s",
        (boutique["id"], phone.customer_number),
    )

    late = say(phone, "yes")
    no_prompt = prompts_to(stack, paying)
    fresh = say(phone, "yes")

    assert f"Send the M-Pesa prompt to {masked(paying)}?" in late
    assert no_prompt == []
    assert "I've sent an M-Pesa prompt" in fresh
    assert len(wait_until(lambda: prompts_to(stack, paying))) == 1


def test_the_customers_own_number_needs_no_confirmation(stack, boutique):
    phone = customer_phone(stack, boutique["number"])

    sent = up_to_the_payment(phone, f"checkout, pay with {local(phone.customer_number)}")

    assert "I've sent an M-Pesa prompt to " + local(phone.customer_number).replace(" ", "") in sent
    assert len(wait_until(lambda: prompts_to(stack, phone.customer_number))) == 1


def test_a_third_other_number_in_a_day_is_refused(stack, shop):
    phone = customer_phone(stack, shop.number)
    say(phone, "hi")
    conversation_id = conversation_of(shop, phone)
    first, second, third = (random_kenyan_number() for _ in range(3))
    earlier_use(shop, conversation_id, phone.customer_number, first)
    earlier_use(shop, conversation_id, phone.customer_number, second)

    refused = up_to_the_payment(phone, f"checkout, pay with {local(third)}")
    again = say(phone, f"pay with {local(first)}")  # a number already used is not a new one

    assert "can't send an M-Pesa prompt to that number today" in refused
    assert "pay from this WhatsApp number" in refused
    assert prompts_to(stack, third) == []
    assert f"Send the M-Pesa prompt to {masked(first)}?" in again


def test_a_number_two_customers_named_today_is_refused_to_a_third(stack, shop):
    paying = random_kenyan_number()
    for _ in range(2):
        someone = random_kenyan_number()
        earlier_use(shop, shop.conversation(someone), someone, paying)
    phone = customer_phone(stack, shop.number)

    refused = up_to_the_payment(phone, f"checkout, pay with {local(paying)}")

    assert "can't send an M-Pesa prompt to that number today" in refused
    assert len(prompts_to(stack, paying)) == 2  # only the two earlier customers' prompts


def test_customers_naming_one_number_at_once_get_two_prompts_between_them(shop):
    paying = random_kenyan_number()
    customers = [random_kenyan_number() for _ in range(6)]
    conversations = [shop.conversation(customer) for customer in customers]

    def buy(i: int) -> CheckoutStatus:
        return shop.checkout(
            conversations[i], customers[i], [("T-T1", 1, "M")], pay_phone=paying
        ).status

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(buy, range(6)))

    assert sorted(statuses) == sorted(
        [CheckoutStatus.STK_SENT] * 2 + [CheckoutStatus.PAYER_LIMIT] * 4
    )
    assert len(prompts_to(shop.env, paying)) == 2
