"""Delivery fee by area, from the boutique's zones (duka/delivery/zones.py).

Areas are the canonical names the orchestrator finds ("Westlands", "CBD") or an area the owner
put in a zone. A place no zone covers has no fee (None): the shop confirms it
(duka/delivery/quotes.py); nothing is charged by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from duka.delivery.zones import PICKUP, is_shop_pickup, key_of, shop_pickup_fee, zone_for, zones_of


def delivery_zone(business_settings: Mapping[str, Any], area: str | None) -> str | None:
    """The zone's key ("cbd", "nairobi", the owner's own, or "pickup") covering `area`; None
    when no zone covers it."""
    if is_shop_pickup(area):
        return PICKUP
    zone = zone_for(business_settings, area)
    return key_of(zone.name) if zone else None


def delivery_fee(business_settings: Mapping[str, Any], area: str | None) -> int | None:
    """What delivery to `area` costs in whole KES; None when no zone covers it."""
    if is_shop_pickup(area):
        return shop_pickup_fee(business_settings)
    zone = zone_for(business_settings, area)
    return zone.fee_kes if zone else None


def delivery_fees(business_settings: Mapping[str, Any]) -> dict[str, int]:
    """Every zone's key with its fee in whole KES."""
    return {key_of(zone.name): zone.fee_kes for zone in zones_of(business_settings)}
