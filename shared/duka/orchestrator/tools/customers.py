"""Customer tools: who this customer is to the boutique (from their paid orders and profile)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from duka.orchestrator.context import ToolContext
from duka.orchestrator.tools.registry import tool


class NoArgs(BaseModel):
    pass


class ProfileUpdate(BaseModel):
    preferred_size: str | None = None
    preferred_language: str | None = None
    name: str | None = None


class HistoryArgs(BaseModel):
    limit: int = Field(default=5, ge=1, le=20)


def ensure_customer(ctx: ToolContext) -> dict[str, Any]:
    row = ctx.conn.execute(
        "INSERT INTO customers (business_id, phone, name) VALUES (%s, %s, %s)"
        " ON CONFLICT (business_id, phone) DO UPDATE SET"
        " name = COALESCE(customers.name, EXCLUDED.name) RETURNING *",
        (ctx.business_id, ctx.customer_phone, ctx.conversation.get("customer_name")),
    ).fetchone()
    assert row is not None
    return row


@tool("customer", NoArgs)
def get_customer_profile(ctx: ToolContext, args: NoArgs) -> dict[str, Any]:
    """Sizes and colours bought before, order count, lifetime value, stated preferences."""
    customer = ensure_customer(ctx)
    bought = (
        ctx.conn.execute(
            "SELECT array_remove(array_agg(DISTINCT oi.size), NULL) AS sizes,"
            " array_remove(array_agg(DISTINCT oi.color), NULL) AS colors"
            " FROM order_items oi JOIN orders o ON o.id = oi.order_id"
            " WHERE o.customer_phone = %s AND o.status = 'paid'",
            (ctx.customer_phone,),
        ).fetchone()
        or {}
    )
    totals = (
        ctx.conn.execute(
            "SELECT count(*) AS n, COALESCE(sum(amount), 0) AS value FROM orders"
            " WHERE customer_phone = %s AND status = 'paid'",
            (ctx.customer_phone,),
        ).fetchone()
        or {}
    )
    return {
        "name": customer.get("name"),
        "sizes_bought": list(bought.get("sizes") or []),
        "colors_bought": list(bought.get("colors") or []),
        "order_count": int(totals.get("n") or 0),
        "lifetime_value": Decimal(str(totals.get("value") or 0)),
        **(customer.get("profile") or {}),
    }


@tool("customer", ProfileUpdate)
def update_customer_profile(ctx: ToolContext, args: ProfileUpdate) -> dict[str, Any]:
    """Remember what the customer told us about themselves (size, language, name)."""
    ensure_customer(ctx)
    changes = args.model_dump(exclude_none=True)
    ctx.conn.execute(
        "UPDATE customers SET profile = profile || %s, updated_at = now()"
        " WHERE business_id = %s AND phone = %s",
        (Jsonb(changes), ctx.business_id, ctx.customer_phone),
    )
    return changes


@tool("customer", HistoryArgs)
def get_purchase_history(ctx: ToolContext, args: HistoryArgs) -> list[dict[str, Any]]:
    """The customer's orders, newest first, with their items."""
    return ctx.conn.execute(
        "SELECT o.id, o.status, o.amount, o.created_at, o.fulfillment_status,"
        " COALESCE(json_agg(json_build_object('name', oi.name, 'size', oi.size,"
        " 'quantity', oi.quantity)) FILTER (WHERE oi.id IS NOT NULL), '[]') AS items"
        " FROM orders o LEFT JOIN order_items oi ON oi.order_id = o.id"
        " WHERE o.customer_phone = %s GROUP BY o.id ORDER BY o.created_at DESC LIMIT %s",
        (ctx.customer_phone, args.limit),
    ).fetchall()
