"""Payment tools: M-Pesa STK push at database totals, and the conversation's order status."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.tools.registry import ToolInputInvalid, tool
from duka.orders.checkout import CartLine, CheckoutResult, DeliveryDetails, latest_order
from duka.orders.checkout import start_checkout as _start_checkout


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
        delivery=DeliveryDetails(delivery.address, delivery.area, delivery.fee_kes),
        idempotency_key=idempotency_key,
    )


@tool("payment", NoArgs)
def check_payment_status(deps: TurnDeps) -> dict[str, Any] | None:
    """The latest order of this conversation with its payment and delivery status."""
    return latest_order(deps.conn, deps.conversation_id)
