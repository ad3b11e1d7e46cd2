"""Asking before an M-Pesa prompt goes to a number other than the customer's own WhatsApp.

The question is kept where the flow keeps what it waits for: the state's `awaiting` is
"payer_confirmation" and `payer_confirmation` holds the number, a fingerprint of what is being
paid for (cart and delivery) and when it was asked. A yes counts once, and only for that
number, that cart and delivery, and within CONFIRMATION_TTL_S of the question.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from duka.orchestrator.state import ConversationState, PayerQuestion

AWAITING = "payer_confirmation"
CONFIRMATION_TTL_S = 10 * 60


def _order_fingerprint(state: ConversationState) -> str:
    stored = state.to_metadata()
    what = {"cart": stored.get("cart"), "delivery": stored.get("delivery")}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def ask(state: ConversationState, pay_phone: str, now: datetime) -> None:
    """Record that the agent asked whether to prompt `pay_phone` for the current order."""
    state.awaiting = AWAITING
    state.payer_confirmation = PayerQuestion(
        phone=pay_phone, order=_order_fingerprint(state), asked_at=now.isoformat()
    )


def forget(state: ConversationState) -> None:
    state.payer_confirmation = None
    if state.awaiting == AWAITING:
        state.awaiting = None


def take_confirmed(state: ConversationState, now: datetime) -> str | None:
    """The number a yes now confirms, or None when the question is gone, stale or changed.

    The question is used up either way: a second yes needs a new question.
    """
    asked = state.payer_confirmation or PayerQuestion()
    forget(state)
    try:
        asked_at = datetime.fromisoformat(str(asked.asked_at))
    except ValueError:
        return None
    fresh = (now - asked_at).total_seconds() <= CONFIRMATION_TTL_S
    same = asked.order == _order_fingerprint(state)
    phone = asked.phone
    if fresh and same and phone and phone == state.pay_phone:
        return phone
    return None
