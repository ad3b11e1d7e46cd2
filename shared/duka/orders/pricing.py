"""Pricing an order from the database: today's prices, the delivery fee, whole shillings.

Nothing the caller (or the model behind it) says about prices is trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from duka.db.pool import Connection
from duka.delivery.fees import UnknownDeliveryFee, fee_for
from duka.logs import log
from duka.orders.delivery import delivery_zone
from duka.orders.reservations import SoldOut

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CartLine:
    product_id: str
    quantity: int
    size: str | None = None
    color: str | None = None


@dataclass(frozen=True)
class DeliveryDetails:
    address: str
    area: str | None
    fee_kes: int
    pickup_point_id: str | None = None
    quote_id: str | None = None  # the fee the owner set for a place no zone covers


@dataclass(frozen=True)
class PricedOrder:
    items: list[dict[str, Any]]
    amount_kes: int  # items plus delivery, rounded up to a whole shilling for M-Pesa
    delivery_info: dict[str, Any]


def price_order(
    conn: Connection,
    business_settings: Mapping[str, Any],
    lines: Sequence[CartLine],
    delivery: DeliveryDetails,
) -> PricedOrder:
    """Raises SoldOut naming products that are no longer on sale."""
    items, unavailable = _priced_items(conn, lines)
    if unavailable:
        raise SoldOut(unavailable)
    fee = fee_for(
        conn,
        business_settings,
        area=delivery.area,
        pickup_point_id=delivery.pickup_point_id,
        quote_id=delivery.quote_id,
    )
    if fee is None:
        raise UnknownDeliveryFee(delivery.address)
    if fee != delivery.fee_kes:
        log(
            logger,
            logging.WARNING,
            "delivery fee recomputed from the business settings",
            area=delivery.area,
            asked=delivery.fee_kes,
            charged=fee,
        )
    subtotal = sum((Decimal(str(item["line_total"])) for item in items), Decimal(0))
    return PricedOrder(
        items=items,
        amount_kes=int((subtotal + fee).to_integral_value(rounding=ROUND_CEILING)),
        delivery_info={
            "address": delivery.address,
            "area": delivery.area,
            "zone": delivery_zone(business_settings, delivery.area),
            "fee_kes": fee,
            **({"pickup_point_id": delivery.pickup_point_id} if delivery.pickup_point_id else {}),
        },
    )


def same_order(previous: Mapping[str, Any] | None, priced: PricedOrder) -> bool:
    """A failed order asked for again, unchanged, is retried as its next attempt."""
    return (
        previous is not None
        and previous["status"] == "failed"
        and previous["items"] == priced.items
        and int(previous["amount"]) == priced.amount_kes
        and previous["delivery_info"] == priced.delivery_info
    )


def _priced_items(
    conn: Connection, lines: Sequence[CartLine]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Order lines at today's prices, and the names of products no longer on sale."""
    rows = conn.execute(
        "SELECT id, sku, name, price, active FROM products WHERE id = ANY(%s::uuid[])",
        ([line.product_id for line in lines],),
    ).fetchall()
    products = {str(row["id"]): row for row in rows}
    items: list[dict[str, Any]] = []
    unavailable: list[str] = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None or not product["active"]:
            unavailable.append(product["name"] if product else line.product_id)
            continue
        price = Decimal(product["price"])
        items.append(
            {
                "product_id": line.product_id,
                "sku": product["sku"],
                "name": product["name"],
                "size": line.size.strip().upper() if line.size else None,
                "color": line.color,
                "quantity": line.quantity,
                "unit_price": _json_number(price),
                "line_total": _json_number(price * line.quantity),
            }
        )
    return items, unavailable


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
