"""One more payment on a layaway plan: a new M-Pesa prompt on the same order, for an amount
the customer names (never more than the balance) or the whole balance.

Like checkout, the attempt is claimed by the turn's idempotency key in one transaction (under
the order's row lock, so two turns cannot both open a prompt) and the push is sent outside it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from duka.db.pool import Connection, tenant_transaction
from duka.logs import log
from duka.orders import gateway_choice, layaway, store
from duka.orders.push import OpenedAttempt, PushOutcome, send_push
from duka.payments import GatewayConfigError, PaymentGateway
from duka.phone import InvalidPhoneNumber, normalize_kenyan_phone
from duka.ratelimit import stk_push_allowed
from duka.secrets import SecretConfigurationError, SecretStoreUnavailable
from duka.store import businesses

logger = logging.getLogger(__name__)

OPEN_ATTEMPT = ("sending", "pending", "unknown")


class Instalment(StrEnum):
    SENT = "sent"
    OUTCOME_UNKNOWN = "outcome_unknown"
    GATEWAY_UNAVAILABLE = "gateway_unavailable"
    PROMPT_OPEN = "prompt_open"  # a prompt for this plan is still on the phone
    OVER_BALANCE = "over_balance"
    NOT_OPEN = "not_open"  # no running plan: paid, lapsed or its deposit not in yet
    TOO_MANY_PUSHES = "too_many_pushes"


@dataclass(frozen=True)
class InstalmentResult:
    status: Instalment
    amount_kes: int
    balance_kes: int  # before this payment


_PUSHED = {
    PushOutcome.SENT: Instalment.SENT,
    PushOutcome.OUTCOME_UNKNOWN: Instalment.OUTCOME_UNKNOWN,
    PushOutcome.NOT_SENT: Instalment.GATEWAY_UNAVAILABLE,
}


class _Refused(Exception):
    def __init__(self, result: InstalmentResult) -> None:
        self.result = result


def pay_instalment(
    *,
    business_id: str,
    order_id: str,
    amount: int | None,
    customer_phone: str,
    idempotency_key: str,
) -> InstalmentResult:
    """Prompt for `amount` (None: the balance) on the plan `order_id`."""
    ids = {"business_id": business_id, "order_id": order_id}
    with tenant_transaction(business_id) as conn:
        replayed = store.attempt_by_key(conn, idempotency_key)
        business = businesses.get_business(conn, business_id)
    if replayed is not None:
        return InstalmentResult(Instalment.SENT, int(replayed["amount"]), int(replayed["amount"]))
    assert business is not None
    gateway: PaymentGateway | None = None
    try:
        gateway = gateway_choice.gateway_for_business(business_id, business["settings"])
    except (GatewayConfigError, SecretConfigurationError, SecretStoreUnavailable) as exc:
        log(logger, logging.ERROR, "no payment gateway for an instalment", error=str(exc), **ids)
    try:
        with tenant_transaction(business_id) as conn:
            opened, balance = _open(conn, order_id, amount, customer_phone, idempotency_key)
            if gateway is None:  # the amount was fine; nothing is opened (rolled back)
                unavailable = Instalment.GATEWAY_UNAVAILABLE
                raise _Refused(InstalmentResult(unavailable, opened.amount_kes, balance))
            store.insert_attempt(
                conn,
                business_id=business_id,
                order_id=order_id,
                attempt=opened.attempt,
                idempotency_key=idempotency_key,
                gateway=gateway.name,
                pay_phone=opened.pay_phone,
                amount=opened.amount_kes,
            )
    except _Refused as refused:
        return refused.result
    log(logger, logging.INFO, "layaway instalment prompt opened", amount=opened.amount_kes, **ids)
    outcome = send_push(gateway, opened)
    return InstalmentResult(_PUSHED[outcome], opened.amount_kes, balance)


def _open(
    conn: Connection,
    order_id: str,
    amount: int | None,
    customer_phone: str,
    idempotency_key: str,
) -> tuple[OpenedAttempt, int]:
    order = store.lock_order(conn, order_id)
    if order is None or order["status"] != "layaway" or order["flagged"]:
        raise _Refused(InstalmentResult(Instalment.NOT_OPEN, 0, 0))
    plan = layaway.plan_of(conn, order)
    balance = int(plan.balance.to_integral_value())
    wanted = balance if amount is None else amount
    if wanted > balance or wanted < 1:
        raise _Refused(InstalmentResult(Instalment.OVER_BALANCE, wanted, balance))
    current = store.current_attempt(conn, order_id)
    if current is not None and current["status"] in OPEN_ATTEMPT:
        raise _Refused(InstalmentResult(Instalment.PROMPT_OPEN, int(current["amount"]), balance))
    try:
        phone = normalize_kenyan_phone(order["pay_phone"] or customer_phone)
    except InvalidPhoneNumber:
        phone = normalize_kenyan_phone(customer_phone)
    if not stk_push_allowed(conn, phone):
        raise _Refused(InstalmentResult(Instalment.TOO_MANY_PUSHES, wanted, balance))
    row = conn.execute(
        "UPDATE orders SET attempt = attempt + 1, checkout_request_id = NULL,"
        " mpesa_reference = NULL, updated_at = now() WHERE id = %s RETURNING attempt",
        (order_id,),
    ).fetchone()
    assert row is not None
    opened = OpenedAttempt(str(order["business_id"]), order_id, int(row["attempt"]), wanted, phone)
    return opened, balance
