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
    r"lipa\s+pole\s+pole|\bpole\s*pole\b|lay-?\s?(?:away|by)\b|\binstal+ments?\b"
    r"|\b(?:ki|m)?dogo\s+(?:ki|m)?dogo\b|\bdeposits?\b|\bpay\s+(?:half|part|some)\b"
    r"|\bhalf\s+now\b|\bnusu\s+sasa\b|\b(?:lipa|nilipe|kulipa|nitalipa)\s+nusu\b"
    r"|\bin\s+(?:parts|bits|small\s+amounts)\b|\bbit\s+by\s+bit\b|\bsmall\s+amounts\b"
    r"|\bkwa\s+awamu\b|\bpayment\s+plan\b|\bplan\s+ya\s+kulipa\b|\bsplit\s+(?:the\s+)?pay"
    r"|\bstart\s+paying\b|\banza\s+(?:kulipa|na\s+\d)"
    r"|\b(?:pay|paying|nilipe|nalipa|nikilipa|kulipa)\b.*\b(?:weekly|slowly|every\s+week"
    r"|kila\s+wiki)\b",
    re.IGNORECASE,
)
_BALANCE = re.compile(
    r"\bbalance\b|how\s+much\s+(?:is\s+)?(?:left|remaining|remains|more)|how\s+much\s+do\s+i"
    r"\s+(?:still\s+)?owe|what\s+do\s+i\s+owe|\bstill\s+owe\b|nimebaki\s+na\s+ngapi"
    r"|nimebakisha|\bdeni\b|\bsalio\b|nadaiwa|iliyobaki|imebaki|kilichobaki|\boutstanding\b"
    r"|\bremaining\b|what'?s\s+(?:left|remaining)|\bleft\s+on\s+my\b|\bstill\s+something\s+left"
    r"|\bdone\s+paying\b|\b(?:due\s+date|next\s+payment|deadline)\b|\bdue\b.*\b(?:when|lini)\b"
    r"|\b(?:when|lini)\b.*\bdue\b",
    re.IGNORECASE,
)
_PAY = re.compile(
    r"\b(?:pay|paying|(?:ku|ni|n|tu|ta)?(?:i|ki)?lip[ae]|nitalipa|nalipa|another\s+payment|ongeza|niongeze\w*|tuma|nitume|nitatuma"
    r"|nitumie|ku-?pay|clear|finish|nimalizie|nimalize|kumaliza|maliza|top\s+up|add|weka"
    r"|tupa|kutupa|nikatie|katia|nipunguze|punguza|charge|stk|prompt)\b",
    re.IGNORECASE,
)
# What she pays without naming an amount: the whole balance.
_REST = re.compile(
    r"\b(?:the\s+rest|remaining|whole\s+thing|everything|yote|iliyobaki|kilichobaki|balance"
    r"|deni|salio|full|off)\b",
    re.IGNORECASE,
)
# A question about the plan rather than a payment: "how much", "ngapi", "when", "?".
_ASKS = re.compile(r"\?|\bngapi\b|\bhow\s+much\b|\bwhat\b|\bwhen\b|\blini\b|\bkujua\b", re.I)
# Her own M-Pesa balance ("my M-Pesa balance is low", "fuliza imenimaliza, sina balance").
_OWN_MPESA = re.compile(r"\b(?:m-?pesa|fuliza)\b", re.IGNORECASE)
_SWAHILI_NUMBERS = {
    "moja": 1, "mbili": 2, "tatu": 3, "nne": 4, "tano": 5,
    "sita": 6, "saba": 7, "nane": 8, "tisa": 9, "kumi": 10,
}  # fmt: skip
_SWAHILI_AMOUNT = re.compile(
    r"\b(?:elfu\s+(?P<thousands>\w+))?(?:\s*(?:na\s+)?mia\s+(?P<hundreds>\w+))?", re.IGNORECASE
)
_HALF = re.compile(r"\bhalf\b|\bnusu\b", re.IGNORECASE)
_AMOUNT = re.compile(
    r"(?<![\d.,])(?:(?:kes|ksh|sh)\.?\s*)?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s*k\b)?(?![\d,])",
    re.IGNORECASE,
)
_LEAST_AMOUNT = 50  # "size 38", "#2": not money
_MOST_AMOUNT = 1_000_000


def _swahili_amount(text: str) -> int | None:
    """ "elfu mbili" 2,000; "elfu moja na mia tano" 1,500; "mia nane" 800."""
    for match in _SWAHILI_AMOUNT.finditer(text):
        thousands = _SWAHILI_NUMBERS.get((match.group("thousands") or "").lower(), 0)
        hundreds = _SWAHILI_NUMBERS.get((match.group("hundreds") or "").lower(), 0)
        if thousands or hundreds:
            return thousands * 1000 + hundreds * 100
    return None


def amount_in(text: str) -> int | None:
    """A shilling amount the customer named ("1000", "1,500", "KES 2000", "1.5k", "2000/-",
    "elfu mbili")."""
    for match in _AMOUNT.finditer(text):
        try:
            value = Decimal(match.group(1).replace(",", ""))
        except InvalidOperation:
            continue
        if match.group(2):
            value *= 1000
        if _LEAST_AMOUNT <= value <= _MOST_AMOUNT and value == value.to_integral_value():
            return int(value)
    return _swahili_amount(text)


def asks_half(text: str) -> bool:
    return bool(_HALF.search(text))


def plan_order(state: ConversationState) -> str | None:
    extra = state.model_extra or {}
    value = extra.get(PLAN_KEY)
    return str(value) if value else None


def _plan_reading(text: str) -> str | None:
    """With a plan running: a payment into it, a question about it, or neither."""
    if _OWN_MPESA.search(text) and not _PAY.search(text):
        return None  # her own M-Pesa balance, not the plan's
    named = amount_in(text) is not None
    if _PAY.search(text) and (named or (_REST.search(text) and not _ASKS.search(text))):
        return "layaway_pay"
    if _BALANCE.search(text):
        return "layaway_balance"
    return None


def intent_of(text: str, state: ConversationState) -> str | None:
    if plan_order(state) is not None and (reading := _plan_reading(text)) is not None:
        return reading
    if _START.search(text):
        return "layaway_start"
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
