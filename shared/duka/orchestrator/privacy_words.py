"""A customer asking for her data or its deletion, read by our own matcher, never the model.

"send me my data", "nataka data yangu", "nipe info yangu" ask for a copy; "delete my data",
"futa data yangu", "futa taarifa zangu" ask for deletion, which waits for her yes (a button
or typed). Talk of data bundles ("data yangu imeisha", "my data bundles are finished") and of
the cart ("delete this item") is not a request about her personal data.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from duka.orchestrator.entities import Entities
from duka.orchestrator.intents import Classification, Intent
from duka.orchestrator.language import Language
from duka.orchestrator.state import ConversationState

AWAITING = "privacy_deletion"  # state.awaiting while "delete your data?" waits for an answer
TAP_DELETE, TAP_KEEP = "privacy:delete", "privacy:keep"
EXPORT: Final = "privacy_export"
DELETE: Final = "privacy_delete"
CONFIRMED, KEPT = "privacy_delete_confirmed", "privacy_delete_kept"
Reading = Literal["privacy_export", "privacy_delete"]

_EN_NOUN = (
    r"(?:personal\s+)?(?:data|info|information|details|records?|chats?|chat\s+history"
    r"|messages|number|account|profile)"
)
_SW_NOUN = r"(?:data|info|taarifa|maelezo|rekodi|namba|habari|details|chats?)"
# Her own data: "my data", "data zangu", "everything you have on me".
_HERS = re.compile(
    rf"\bmy\s+(?:\w+\s+)?{_EN_NOUN}\b"
    rf"|\b{_SW_NOUN}\s+(?:\w+\s+)?(?:yangu|zangu|yetu|zetu)\b"
    r"|\b(?:data|info|information|details|everything|anything)\b(?:\s+\w+){0,5}?\s+"
    r"(?:about|on|of)\s+me\b"
    rf"|\b(?:{_SW_NOUN}|kila\s+kitu|nini|gani|zote)\b(?:\s+\w+){{0,5}}?\s+"
    r"(?:kunihusu|kuhusu\s+mimi|juu\s+yangu)\b",
    re.IGNORECASE,
)
# "my data bundles", "data yangu imeisha", "nimeishiwa": airtime, not personal data.
_BUNDLES = re.compile(
    r"\b(?:bundles?|mbs?|gbs?|airtime|imeisha|zimeisha|imekwisha|ishiwa|nimeishiwa|finished"
    r"|run\s+out|ran\s+out|over)\b",
    re.IGNORECASE,
)
_DELETE = re.compile(
    r"\b(?:delete\w*|erase\w*|remove\w*|wipe\w*|forget|futa|\w{0,3}fute(?:ni)?|futwa|ondoa\w*"
    r"|ondoeni|msiweke|usiweke|don'?t\s+keep|stop\s+keeping)\b",
    re.IGNORECASE,
)
_FORGET_ME = re.compile(r"\bforget\s+(?:about\s+)?me\b", re.IGNORECASE)
_COPY = re.compile(
    r"\b(?:send|give|share|copy|download|export|access|see|view|get|want|request|need|show"
    r"|nitumie\w*|nipe\w*|naomba|nataka|tuma|tumia|onyesha|kuona|ona|pata|kupata|nione"
    # "what do you have/keep on me?", "mna nini kunihusu?": asking what is held is asking for it
    r"|have|keep|hold|stored?|mna|mko|mnazo|mnayo|mnaweka)\b",
    re.IGNORECASE,
)
# "Did you get my details for delivery?": her details for an order, not a request about them.
_FOR_AN_ORDER = re.compile(
    r"\b(?:did|have|has)\s+(?:you|u)\s+(?:get|got|receive\w*|see|seen)\b"
    r"|\b(?:for|ya|za)\s+(?:the\s+)?(?:delivery|order|oda|kudeliver)\b",
    re.IGNORECASE,
)
# A photo or the cart is never what "delete my ..." is about.
_SHOPPING = re.compile(r"\b(?:cart|item|order|dress|gauni|bag|size)\b", re.IGNORECASE)
_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|ndio|ndiyo|sawa|ok|okay|confirm|delete|futa|yes,?\s+delete"
    r"|ndio,?\s+futa)\b",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\W*(?:no|nope|hapana|la|keep|cancel|acha|wacha|usifute|don'?t|do\s+not|no,?\s+keep)\b",
    re.IGNORECASE,
)


def request_in(text: str) -> Reading | None:
    """An export or deletion request in `text`, or None."""
    if _FORGET_ME.search(text):
        return DELETE
    if not _HERS.search(text) or _BUNDLES.search(text):
        return None
    if _DELETE.search(text):
        return None if _SHOPPING.search(text) and "data" not in text.lower() else DELETE
    return EXPORT if _COPY.search(text) and not _FOR_AN_ORDER.search(text) else None


def answer_in(text: str) -> str | None:
    """Her answer to "delete your data?": confirmed, kept, or None (something else)."""
    if _NO.search(text):
        return KEPT
    if _YES.search(text):
        return CONFIRMED
    return None


def _reading() -> Classification:
    return Classification(
        intent=Intent.OTHER,
        entities=Entities(),
        language=Language.EN,  # the turn reads the language from her words itself
        confidence=1.0,
        decisive=True,  # our own matcher: never a guess to confirm
    )


def route(text: str, state: ConversationState) -> tuple[str, Classification] | None:
    """The privacy intent of a typed message, or None for the usual routing."""
    if state.awaiting == AWAITING and (answer := answer_in(text)) is not None:
        return answer, _reading()
    request = request_in(text)
    return (request, _reading()) if request is not None else None


def tap_route(payload: str, state: ConversationState) -> tuple[str, Classification] | None:
    """A tap on "Yes, delete" / "No, keep"; an old one (nothing asked now) keeps nothing."""
    if payload not in (TAP_DELETE, TAP_KEEP):
        return None
    if state.awaiting != AWAITING:
        return "tap_stale", _reading()
    return (CONFIRMED if payload == TAP_DELETE else KEPT), _reading()
