"""Payment tools: M-Pesa STK push at database totals, and the conversation's order status."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.tools.registry import ToolInputInvalid, tool
from duka.orders.checkout import CartLine, CheckoutResult, latest_order
from duka.orders.checkout import start_checkout as _start_checkout
from duka.orders.store import current_attempt


class StkArgs(BaseModel):
    idempotency_key: str
    pay_phone: str | None = None


class NoArgs(BaseModel):
    pass


@tool("payment", StkArgs)
def initiate_mpesa_stk(
    deps: TurnDeps, idempotency_key: str, pay_phone: str | None = None
) -> CheckoutResult:
    """Create the order from the cart and send the M-Pesa prompt to the customer's phone."""
    delivery = deps.state.delivery
    if delivery is None:
        raise ToolInputInvalid("a delivery address is needed first")
    return _start_checkout(
        business_id=deps.business_id,
        conversation_id=deps.conversation_id,
        customer_phone=deps.customer_phone,
        pay_phone=pay_phone,
        lines=[
            CartLine(i.product_id, i.quantity, i.size, i.color)
            for i in deps.state.current_cart().items
        ],
        delivery=delivery.as_details(),
        idempotency_key=idempotency_key,
    )


@tool("payment", NoArgs)
def check_payment_status(deps: TurnDeps) -> dict[str, Any] | None:
    """The latest order of this conversation with its payment and delivery status, and when
    and to which number its current M-Pesa prompt went (`prompt_sent_at`, `prompt_phone`).

    This reads the order as the M-Pesa callback and the reconciler left it; it does not ask
    the gateway again inside the customer's turn."""
    order = latest_order(deps.conn, deps.conversation_id)
    if order is None:
        return None
    attempt = current_attempt(deps.conn, order["id"])
    return {
        **order,
        "prompt_sent_at": attempt["created_at"] if attempt else order["created_at"],
        "prompt_phone": (attempt or {}).get("pay_phone") or order.get("pay_phone"),
        "receipt": order.get("mpesa_reference") or (attempt or {}).get("mpesa_reference"),
    }
