"""The delivery fee an order is charged, decided from the database: the pickup point's fee, the
fee the owner set for an unknown place, or the fee of the zone covering the area."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from duka.db.pool import Connection
from duka.delivery import quotes
from duka.delivery.pickup_points import get_point
from duka.errors import Rejected
from duka.orders.delivery import delivery_fee


class UnknownDeliveryFee(Rejected):
    """No fee is known for where the order goes (the owner has not set it, or the pickup point
    was removed): no payment can be asked for."""


def fee_for(
    conn: Connection,
    settings: Mapping[str, Any],
    *,
    area: str | None,
    pickup_point_id: str | None = None,
    quote_id: str | None = None,
) -> int | None:
    """Whole KES, or None when nobody has decided the fee yet."""
    if pickup_point_id:
        point = get_point(conn, pickup_point_id)
        return point.fee_kes if point else None
    if quote_id:
        return quotes.quote_fee(conn, quote_id)
    return delivery_fee(settings, area)
