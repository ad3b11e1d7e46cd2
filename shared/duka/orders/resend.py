"""Resend: "the prompt didn't come" or a "Try again" tap asks the gateway about the order's open
M-Pesa prompt before a new one may go out.

A prompt the gateway reports final (failed, cancelled, timed out) is closed at once and the
chat sends a new one. One still pending may yet be on the customer's phone, so the customer
waits until `PROMPT_TIMEOUT` after it was sent; an ask after that closes it and a new prompt
goes out. Closing happens under the order's row lock and only for the attempt that was asked
about, so there is never a second live prompt for one order (the database refuses one too:
migration 020). A payment that still arrives for a closed attempt is flagged for the owner by
`duka.orders.callbacks`, as any late payment is.

A closed attempt sends no "payment failed" notice: the customer is in the chat and is
answered by the turn that asked (`notified_state` is set in the same transaction).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from duka.db.pool import tenant_transaction
from duka.logs import log
from duka.orders import gateway_choice, reservations, store
from duka.orders.callbacks import OPEN_ATTEMPT, apply_result
from duka.payments import (
    FailureReason,
    GatewayConfigError,
    GatewayDeclined,
    GatewayUnavailable,
    PaymentResult,
    PaymentStatus,
)
from duka.secrets import SecretConfigurationError, SecretStoreUnavailable
from duka.store import businesses

logger = logging.getLogger(__name__)

# M-Pesa drops an unanswered STK prompt from the phone after about a minute; the extra half
# minute lets the gateway's own result arrive before we give up on it.
PROMPT_TIMEOUT = timedelta(seconds=90)
TIMED_OUT = "prompt_timed_out"

_QUERY_ERRORS = (
    GatewayUnavailable,
    GatewayDeclined,
    GatewayConfigError,
    SecretStoreUnavailable,
    SecretConfigurationError,
)


class Verdict(StrEnum):
    RESEND = "resend"  # no prompt is live any more: a new one may go out now
    WAIT = "wait"  # the prompt may still be on the phone until `wait_until`
    PAID = "paid"  # the gateway says it was paid (applied like a callback)
    UNREACHABLE = "unreachable"  # past the timeout, but the gateway could not be asked
    KEEP = "keep"  # not the customer's to retry: flagged for the owner, or no order


@dataclass(frozen=True)
class ResendCheck:
    verdict: Verdict
    wait_until: datetime | None = None


def check_open_attempt(business_id: str, order_id: str, now: datetime) -> ResendCheck:
    """Ask the gateway about the order's open prompt and close it when it is over."""
    with tenant_transaction(business_id) as conn:
        order = store.lock_order(conn, order_id)
        attempt = store.current_attempt(conn, order_id)
        business = businesses.get_business(conn, business_id)
    if order is None or business is None or order["flagged"]:
        return ResendCheck(Verdict.KEEP)
    if order["status"] != "pending":
        return _settled(order, None)
    if attempt is None or attempt["status"] not in OPEN_ATTEMPT:
        return ResendCheck(Verdict.KEEP)
    deadline: datetime = attempt["created_at"] + PROMPT_TIMEOUT
    ids = {"business_id": business_id, "order_id": order_id, "attempt": attempt["attempt"]}
    result: PaymentResult | None = None
    if attempt["checkout_request_id"]:
        try:
            gateway = gateway_choice.gateway_for_business(
                business_id, business["settings"], name=attempt["gateway"]
            )
            result = gateway.query_status(attempt["checkout_request_id"])
        except _QUERY_ERRORS as exc:
            log(
                logger,
                logging.WARNING,
                "resend: payment status query failed",
                error=str(exc),
                **ids,
            )
            if now >= deadline:
                return ResendCheck(Verdict.UNREACHABLE)
            return ResendCheck(Verdict.WAIT, deadline)
    if result is not None and result.status is PaymentStatus.PAID:
        apply_result(business_id, result)
    elif result is not None and result.status is not PaymentStatus.PENDING:
        reason = (result.failure_reason or FailureReason.UNKNOWN).value
        _close(business_id, order_id, int(attempt["attempt"]), "failed", reason, result)
    elif now < deadline:
        return ResendCheck(Verdict.WAIT, deadline)
    else:
        log(logger, logging.INFO, "resend: open prompt timed out; closing it", **ids)
        _close(business_id, order_id, int(attempt["attempt"]), "expired", TIMED_OUT, None)
    with tenant_transaction(business_id) as conn:
        after = store.lock_order(conn, order_id)
    assert after is not None
    return _settled(after, deadline)


def _settled(order: dict[str, Any], deadline: datetime | None) -> ResendCheck:
    """The verdict an order's own status gives once nothing is left to ask the gateway."""
    if order["flagged"]:
        return ResendCheck(Verdict.KEEP)
    if order["status"] == "paid":
        return ResendCheck(Verdict.PAID)
    if order["status"] == "pending":  # a callback opened nothing new; the prompt is still live
        return ResendCheck(Verdict.WAIT, deadline)
    return ResendCheck(Verdict.RESEND)


def _close(
    business_id: str,
    order_id: str,
    attempt_no: int,
    status: str,
    reason: str,
    result: PaymentResult | None,
) -> None:
    """End the asked-about attempt and its order (failed, so it can be retried), release its
    stock, and mark the failure as told. Nothing happens if the attempt moved on meanwhile."""
    with tenant_transaction(business_id) as conn:
        order = store.lock_order(conn, order_id)
        if order is None or order["status"] != "pending" or order["flagged"]:
            return
        attempt = store.current_attempt(conn, order_id)
        if attempt is None or order["attempt"] != attempt_no:
            return
        attempt = store.lock_attempt(conn, str(attempt["id"]))
        if attempt["status"] not in OPEN_ATTEMPT:
            return
        store.answer_attempt(
            conn,
            str(attempt["id"]),
            status=status,
            failure_reason=reason,
            result_code=result.result_code if result else None,
            result_desc=result.result_desc if result else None,
        )
        store.end_order(conn, order_id, "failed", reason)
        reservations.release(conn, order_id)
        store.set_notified(conn, order_id, f"failed:{attempt_no}")
