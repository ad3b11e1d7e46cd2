"""Recognising lipa pole pole (layaway) messages, deterministically and before the classifier:
"can I pay in instalments?", "nilipe kidogo kidogo", "pay half now" start a plan; once the chat
has one, "how much is left?" / "nimebaki na ngapi?" ask its balance and "pay 1000" / "nilipe
1500 more" / "lipa salio" pay into it. Without a plan, balance and pay words are left to the
classifier ("sina balance" is M-Pesa trouble, "nilipe" a checkout).
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from duka.orchestrator.intents import Classification, ClassifierContext, Intent, classify
from duka.orchestrator.state import ConversationState

PLAN_KEY = "layaway_order"  # state extra: the chat's layaway order (set when a plan starts)
AWAITING_ADDRESS = "layaway_address"
ASKED_KEY = "layaway_asked"  # state extra: the deposit named before the address was given

_START = re.compile(
    r"lipa\s+pole\s+pole|\bpole\s*pole\b|lay-?\s?away|\binstal+ments?\b|kidogo\s+kidogo"
    r"|\bdeposit\b|\bpay\s+(?:half|part|some)\b|\bhalf\s+now\b|\bnusu\s+sasa\b"
    r"|\b(?:lipa|nilipe|kulipa|nitalipa)\s+nusu\b|\bin\s+parts\b|\bkwa\s+awamu\b",
    re.IGNORECASE,
)
_BALANCE = re.compile(
    r"\bbalance\b|how\s+much\s+(?:is\s+)?(?:left|remaining|remains|more)|how\s+much\s+do\s+i"
    r"\s+owe|what\s+do\s+i\s+owe|nimebaki\s+na\s+ngapi|nimebakisha|\bdeni\b|\bsalio\b"
    r"|nadaiwa|iliyobaki|imebaki",
    re.IGNORECASE,
)
_PAY = re.compile(
    r"\b(?:pay|paying|lipa|nilipe|kulipa|nitalipa|ongeza|niongeze|tuma|nitume)\b", re.IGNORECASE
)
_HALF = re.compile(r"\bhalf\b|\bnusu\b", re.IGNORECASE)
_AMOUNT = re.compile(
    r"(?<![\d.,])(?:(?:kes|ksh|sh)\.?\s*)?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s*k\b)?(?![\d,])",
    re.IGNORECASE,
)
_LEAST_AMOUNT = 50  # "size 38", "#2": not money
_MOST_AMOUNT = 1_000_000


def amount_in(text: str) -> int | None:
    """A shilling amount the customer named ("1000", "1,500", "KES 2000", "1.5k")."""
    for match in _AMOUNT.finditer(text):
        try:
            value = Decimal(match.group(1).replace(",", ""))
        except InvalidOperation:
            continue
        if match.group(2):
            value *= 1000
        if _LEAST_AMOUNT <= value <= _MOST_AMOUNT and value == value.to_integral_value():
            return int(value)
    return None


def asks_half(text: str) -> bool:
    return bool(_HALF.search(text))


def plan_order(state: ConversationState) -> str | None:
    extra = state.model_extra or {}
    value = extra.get(PLAN_KEY)
    return str(value) if value else None


def intent_of(text: str, state: ConversationState) -> str | None:
    if _START.search(text):
        return "layaway_start"
    if plan_order(state) is not None:
        if _PAY.search(text) and (amount_in(text) is not None or _BALANCE.search(text)):
            return "layaway_pay"
        if _BALANCE.search(text):
            return "layaway_balance"
    if state.awaiting == AWAITING_ADDRESS:
        return "layaway_address"
    return None


def route(
    text: str, has_media: bool, state: ConversationState, context: ClassifierContext
) -> tuple[str, Classification] | None:
    """A layaway intent and its (decisive) reading, or None for the usual routing."""
    intent = intent_of(text, state)
    if intent is None:
        return None
    if intent == "layaway_address":
        reading = classify(text, has_media=has_media, context=replace(context, awaiting=None))
        answer = classify(
            text, has_media=has_media, context=replace(context, awaiting="delivery_address")
        )
        own_request = reading.decisive and reading.intent is not Intent.DELIVERY_ADDRESS
        if answer.intent is not Intent.DELIVERY_ADDRESS or own_request:
            return None  # a request of its own: the usual routing drops the wait
        return intent, replace(answer, decisive=True)
    reading = classify(text, has_media=has_media, context=replace(context, awaiting=None))
    return intent, replace(reading, decisive=True)
