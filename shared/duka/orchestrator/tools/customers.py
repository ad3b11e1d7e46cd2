"""Customer tools: who this customer is to the boutique (from their paid orders and profile)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb
from pydantic import BaseModel

from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.tools.registry import tool


class NoArgs(BaseModel):
    pass


class ProfileUpdate(BaseModel):
    preferred_size: str | None = None
    preferred_language: str | None = None
    name: str | None = None


def ensure_customer(deps: TurnDeps) -> dict[str, Any]:
    row = deps.conn.execute(
        "INSERT INTO customers (business_id, phone, name) VALUES (%s, %s, %s)"
        " ON CONFLICT (business_id, phone) DO UPDATE SET"
        " name = COALESCE(customers.name, EXCLUDED.name) RETURNING *",
        (deps.business_id, deps.customer_phone, deps.conversation.get("customer_name")),
    ).fetchone()
    assert row is not None
    return row


@tool("customer", NoArgs)
def get_customer_profile(deps: TurnDeps) -> dict[str, Any]:
    """Sizes and colours bought before, order count, lifetime value, stated preferences."""
    customer = ensure_customer(deps)
    bought = (
        deps.conn.execute(
            "SELECT array_remove(array_agg(DISTINCT oi.size), NULL) AS sizes,"
            " array_remove(array_agg(DISTINCT oi.color), NULL) AS colors"
            " FROM order_items oi JOIN orders o ON o.id = oi.order_id"
            " WHERE o.customer_phone = %s AND o.status = 'paid'",
            (deps.customer_phone,),
        ).fetchone()
        or {}
    )
    totals = (
        deps.conn.execute(
            "SELECT count(*) AS n, COALESCE(sum(amount), 0) AS value FROM orders"
            " WHERE customer_phone = %s AND status = 'paid'",
            (deps.customer_phone,),
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
def update_customer_profile(
    deps: TurnDeps,
    preferred_size: str | None = None,
    preferred_language: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Remember what the customer told us about themselves (size, language, name)."""
    ensure_customer(deps)
    stated = {
        "preferred_size": preferred_size,
        "preferred_language": preferred_language,
        "name": name,
    }
    changes = {key: value for key, value in stated.items() if value is not None}
    deps.conn.execute(
        "UPDATE customers SET profile = profile || %s, updated_at = now()"
        " WHERE business_id = %s AND phone = %s",
        (Jsonb(changes), deps.business_id, deps.customer_phone),
    )
    return changes
