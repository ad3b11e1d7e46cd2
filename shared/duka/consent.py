"""Opt-out and opt-in by keyword: STOP / ACHA / "sitaki jumbe", START / ANZA, before any turn.

Only a whole message that is a keyword or a clear opt-out phrase counts ("Stop please",
"acha kunitumia"), never a sentence that contains one ("stop sending me the wrong size"). The
change is recorded (`consent_events`) and confirmed once, in the customer's language, with no
classification and no model call; saying it again is answered silently. Opted out, the
customer still gets direct replies; `outbound` refuses everything marked proactive.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from duka.db.pool import Connection
from duka.logs import log
from duka.orchestrator.templates import say
from duka.outbound import queue_reply
from duka.store import businesses, consent, messages

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Keyword:
    kind: consent.Kind
    language: str | None  # None: English or universal, so the conversation's language is kept


# Politeness around a keyword changes nothing: "Stop please", "tafadhali acha".
_FILLER = frozenset({"please", "pls", "plz", "kindly", "tafadhali", "now", "sasa", "asap"})
_OPT_OUT_EN = {
    "stop",
    "unsubscribe",
    "unsubscribe me",
    "opt out",
    "optout",
    "stop messages",
    "stop the messages",
    "stop all messages",
    "stop messaging me",
    "stop texting me",
    "stop sending messages",
    "stop sending me messages",
    "no more messages",
}
_OPT_OUT_SW = {
    "acha",
    "acheni",
    "acha kunitumia",
    "acheni kunitumia",
    "acha kunitumia jumbe",
    "acha kunitumia ujumbe",
    "acha kunitumia meseji",
    "acha jumbe",
    "sitaki jumbe",
    "sitaki ujumbe",
    "sitaki meseji",
    "sitaki jumbe zenu",
    "sitaki ujumbe wenu",
    "sitaki tena jumbe",
    "usinitumie jumbe",
    "usinitumie ujumbe",
    "usinitumie meseji",
}
# Not "start over" / "anza upya": those empty the cart.
_OPT_IN_EN = {"start", "unstop", "subscribe", "subscribe me", "resubscribe", "opt in", "optin"}
_OPT_IN_SW = {"anza", "nitumie jumbe", "nitumie jumbe tena"}
KEYWORDS: dict[str, Keyword] = {
    **{phrase: Keyword("opt_out", None) for phrase in _OPT_OUT_EN},
    **{phrase: Keyword("opt_out", "sw") for phrase in _OPT_OUT_SW},
    **{phrase: Keyword("opt_in", None) for phrase in _OPT_IN_EN},
    **{phrase: Keyword("opt_in", "sw") for phrase in _OPT_IN_SW},
}
CONFIRMATION = {"opt_out": "opted_out", "opt_in": "opted_in"}  # templates.TEXT keys


def keyword(text: str | None) -> Keyword | None:
    """The consent keyword a whole message is, if it is one."""
    words = re.sub(r"[^\w\s]", " ", (text or "").lower()).split()
    while words and words[0] in _FILLER:
        words.pop(0)
    while words and words[-1] in _FILLER:
        words.pop()
    return KEYWORDS.get(" ".join(words))


def answer_keywords(
    conn: Connection, business_id: str, conversation: dict[str, Any], inbound: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Record and confirm the consent keywords among `inbound` (the customer's last one wins);
    returns the other messages, for the turn."""
    said = [(m, found) for m in inbound if (found := keyword(m["content"])) is not None]
    if not said:
        return inbound
    keyword_ids = {str(m["id"]) for m, _ in said}
    rest = [m for m in inbound if str(m["id"]) not in keyword_ids]
    message, last = said[-1]
    phone, conversation_id = conversation["customer_phone"], str(conversation["id"])
    current = consent.current_consent(conn, business_id, phone)
    ids = {"business_id": business_id, "conversation_id": conversation_id, "kind": last.kind}
    if current is not None and current["kind"] == last.kind and current["reply_id"]:
        messages.answer_silently(conn, sorted(keyword_ids), str(current["reply_id"]))
        log(logger, logging.INFO, "consent keyword repeated; confirmed before", **ids)
        return rest
    business = businesses.get_business(conn, business_id)
    assert business is not None
    language = last.language or (conversation.get("metadata") or {}).get("language") or "en"
    reply_id = queue_reply(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        text=say(CONFIRMATION[last.kind], language, shop=business["name"]),
        answers=sorted(keyword_ids),
        metadata={"intent": CONFIRMATION[last.kind]},
    )
    consent.record_consent(
        conn,
        business_id=business_id,
        customer_phone=phone,
        kind=last.kind,
        source="chat_keyword",
        message_id=str(message["id"]),
        reply_id=reply_id,
    )
    log(logger, logging.INFO, "consent changed by keyword; confirmed", **ids)
    return rest
