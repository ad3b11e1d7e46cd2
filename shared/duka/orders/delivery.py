"""Delivery fee by area, from the business's settings with Nairobi defaults.

`settings["delivery"]` may hold `fees` (zone -> KES), `areas` (area name -> zone) and
`default_zone`. Areas are the canonical names the orchestrator finds ("Westlands", "CBD");
a place we do not recognise is charged the `default_zone` fee, upcountry unless configured,
because the parcel service is the one way to reach anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_FEES: dict[str, int] = {"cbd": 150, "nairobi": 300, "upcountry": 500, "pickup": 0}
DEFAULT_ZONE = "upcountry"

_NAIROBI = (
    "nairobi, westlands, kilimani, kileleshwa, lavington, karen, langata, rongai, kitengela,"
    " syokimau, south b, south c, embakasi, umoja, donholm, buruburu, kasarani, roysambu, ruaka,"
    " thika road, ngong road, mombasa road, juja, ngong, kahawa, ruiru, hurlingham, upper hill,"
    " parklands, ngara, pangani, eastleigh, githurai, zimmerman, kayole, utawala, pipeline,"
    " imara daima, kibera, kawangware, dagoretti, kikuyu, kiambu, kinoo, ruai, athi river,"
    " gigiri, runda, muthaiga, kangemi, madaraka, nairobi west, kitisuru, garden estate,"
    " kariobangi, dandora, komarock, tassia, mwiki, kiserian, limuru, thika"
)
DEFAULT_AREAS: dict[str, str] = {
    "cbd": "cbd",
    "town": "cbd",
    "pickup": "pickup",
    "pick up": "pickup",
    "pickup point": "pickup",
    "upcountry": "upcountry",
    **{area.strip(): "nairobi" for area in _NAIROBI.split(",")},
}


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _fees(config: Mapping[str, Any]) -> dict[str, int]:
    return {**DEFAULT_FEES, **{_key(k): int(v) for k, v in (config.get("fees") or {}).items()}}


def delivery_zone(business_settings: Mapping[str, Any], area: str | None) -> str:
    """The fee zone (cbd, nairobi, upcountry, pickup, or the business's own) for an area."""
    config = business_settings.get("delivery") or {}
    fees = _fees(config)
    areas = {**DEFAULT_AREAS, **{_key(k): _key(v) for k, v in (config.get("areas") or {}).items()}}
    default = _key(str(config.get("default_zone") or DEFAULT_ZONE))
    key = _key(area or "")
    zone = key if key in fees else areas.get(key, default)
    return zone if zone in fees else DEFAULT_ZONE


def delivery_fee(business_settings: Mapping[str, Any], area: str | None) -> int:
    """What delivery to `area` costs in whole KES."""
    fees = _fees(business_settings.get("delivery") or {})
    return fees[delivery_zone(business_settings, area)]


def delivery_fees(business_settings: Mapping[str, Any]) -> dict[str, int]:
    """Every zone or area with its fee in whole KES, standard zones included."""
    return _fees(business_settings.get("delivery") or {})
