"""Payment tools: M-Pesa STK push at database totals, payment status, callback application."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from duka.orchestrator.cart import Cart
from duka.orchestrator.context import ToolContext
from duka.orchestrator.tools.registry import ToolInputInvalid, tool


class StkArgs(BaseModel):
    idempotency_key: str
    pay_phone: str | None = None


class NoArgs(BaseModel):
    pass


class CallbackArgs(BaseModel):
    gateway: str
    body: str
    path_token: str | None = None


@tool("payment", StkArgs)
def initiate_mpesa_stk(ctx: ToolContext, args: StkArgs) -> Any:
    """Create the order from the cart and send the M-Pesa prompt to the customer's phone."""
    from duka.orders.checkout import CartLine, DeliveryDetails, start_checkout

    delivery = ctx.metadata.get("delivery")
    if not delivery:
        raise ToolInputInvalid("a delivery address is needed first")
    cart = Cart.from_metadata(ctx.metadata)
    return start_checkout(
        business_id=ctx.business_id,
        conversation_id=ctx.conversation_id,
        customer_phone=ctx.customer_phone,
        pay_phone=args.pay_phone,
        lines=[CartLine(i.product_id, i.quantity, i.size, i.color) for i in cart.items],
        delivery=DeliveryDetails(
            delivery["address"], delivery.get("area"), int(delivery.get("fee_kes", 0))
        ),
        idempotency_key=args.idempotency_key,
    )


@tool("payment", NoArgs)
def check_payment_status(ctx: ToolContext, args: NoArgs) -> dict[str, Any] | None:
    """The latest order of this conversation with its payment and delivery status."""
    from duka.orders.checkout import latest_order

    return latest_order(ctx.conn, ctx.conversation_id)


@tool("payment", CallbackArgs)
def process_payment_callback(ctx: ToolContext, args: CallbackArgs) -> Any:
    """Apply a payment gateway callback (the paylink_callback function's work)."""
    from duka.orders.callbacks import handle_callback

    return handle_callback(args.gateway, {}, args.body.encode(), args.path_token)
