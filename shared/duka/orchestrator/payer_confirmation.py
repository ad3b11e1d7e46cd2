"""Asking before an M-Pesa prompt goes to a number other than the customer's own WhatsApp.

The question is kept where the flow keeps what it waits for: conversation metadata `awaiting`
is "payer_confirmation" and `payer_confirmation` holds the number, a fingerprint of what is
being paid for (cart and delivery) and when it was asked. A yes counts once, and only for that
number, that cart and delivery, and within CONFIRMATION_TTL_S of the question.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

AWAITING = "payer_confirmation"
CONFIRMATION_TTL_S = 10 * 60


def masked(e164: str) -> str:
    """The number as the customer would write it, middle digits hidden: 0712 *** 678."""
    local = "0" + e164.removeprefix("+254")
    return f"{local[:4]} *** {local[-3:]}"


def _order_fingerprint(metadata: dict[str, Any]) -> str:
    what = {"cart": metadata.get("cart"), "delivery": metadata.get("delivery")}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def ask(metadata: dict[str, Any], pay_phone: str) -> None:
    """Record that the agent asked whether to prompt `pay_phone` for the current order."""
    metadata["awaiting"] = AWAITING
    metadata[AWAITING] = {
        "phone": pay_phone,
        "order": _order_fingerprint(metadata),
        "asked_at": datetime.now(UTC).isoformat(),
    }


def forget(metadata: dict[str, Any]) -> None:
    metadata.pop(AWAITING, None)
    if metadata.get("awaiting") == AWAITING:
        metadata.pop("awaiting")


def take_confirmed(metadata: dict[str, Any]) -> str | None:
    """The number a yes now confirms, or None when the question is gone, stale or changed.

    The question is used up either way: a second yes needs a new question.
    """
    asked = metadata.get(AWAITING) or {}
    forget(metadata)
    try:
        asked_at = datetime.fromisoformat(str(asked["asked_at"]))
    except (KeyError, ValueError):
        return None
    fresh = (datetime.now(UTC) - asked_at).total_seconds() <= CONFIRMATION_TTL_S
    same = asked.get("order") == _order_fingerprint(metadata)
    phone = asked.get("phone")
    if fresh and same and phone and phone == metadata.get("pay_phone"):
        return str(phone)
    return None
