"""Delivery zones: named groups of areas with one fee and the days delivery takes.

They live in `settings["delivery"]["zones"]` as [{"name", "areas", "fee_kes", "days",
"pay_on_delivery"}]. A
boutique that has not saved zones yet keeps its older settings (`fees`: zone or area -> KES,
`areas`: area -> zone, over the Nairobi defaults), read here as zones, so it keeps charging what
it charged; saving the zones form writes them out. A place no zone covers has no fee: the owner
sets it (duka/delivery/quotes.py); there is no silent catch-all zone.

Whether a zone takes pay on delivery is the owner's choice per zone; a zone saved before that
choice existed, and every legacy zone, takes the shop-wide answer (`settings["shop"]
["pay_on_delivery"]`, "not said" read as no), so nothing changes until the owner chooses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from duka.orchestrator.vocabulary import DELIVERY_AREAS


def key_of(text: str) -> str:
    return " ".join(text.lower().split())


PICKUP = "pickup"  # the area meaning "I'll collect it at the shop"
# The fees every boutique started with, before it set its own.
DEFAULT_FEES: dict[str, int] = {"cbd": 150, "nairobi": 300, "upcountry": 500, PICKUP: 0}
_NAIROBI = (
    "nairobi, westlands, kilimani, kileleshwa, lavington, karen, langata, rongai, kitengela,"
    " syokimau, south b, south c, embakasi, umoja, donholm, buruburu, kasarani, roysambu, ruaka,"
    " thika road, ngong road, mombasa road, juja, ngong, kahawa, ruiru, hurlingham, upper hill,"
    " parklands, ngara, pangani, eastleigh, githurai, zimmerman, kayole, utawala, pipeline,"
    " imara daima, kibera, kawangware, dagoretti, kikuyu, kiambu, kinoo, ruai, athi river,"
    " gigiri, runda, muthaiga, kangemi, madaraka, nairobi west, kitisuru, garden estate,"
    " kariobangi, dandora, komarock, tassia, mwiki, kiserian, limuru, thika"
)
# Before zones, a town outside Nairobi paid the upcountry fee: the towns the chat recognises
# (vocabulary.DELIVERY_AREAS) stay in that zone; a place it doesn't know goes to the owner.
# Area (as shown to the owner) -> zone.
DEFAULT_AREAS: dict[str, str] = {
    **{area: "upcountry" for area in DELIVERY_AREAS.values()},
    **{area.strip().title(): "nairobi" for area in _NAIROBI.split(",")},
    "CBD": "cbd",
    "Town": "cbd",
}
_PICKUP_WORDS = frozenset({PICKUP, "pick up", "pickup point"})


@dataclass(frozen=True)
class Zone:
    name: str
    areas: tuple[str, ...]
    fee_kes: int
    days: str = ""  # as the owner says it: "same day", "1-2"
    pay_on_delivery: bool = False  # the customer may pay when the parcel arrives

    def covers(self, area: str) -> bool:
        key = key_of(area)
        return key == key_of(self.name) or key in {key_of(a) for a in self.areas}

    def to_settings(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "areas": list(self.areas),
            "fee_kes": self.fee_kes,
            "days": self.days,
            "pay_on_delivery": self.pay_on_delivery,
        }


def _config(settings: Mapping[str, Any]) -> Mapping[str, Any]:
    return settings.get("delivery") or {}


def zones_of(settings: Mapping[str, Any]) -> list[Zone]:
    """The boutique's zones: saved ones, else its older fee settings read as zones."""
    config = _config(settings)
    shop_wide = shop_pay_on_delivery(settings)
    if "zones" in config:
        return [
            Zone(
                name=str(z["name"]),
                areas=tuple(str(a) for a in z.get("areas") or ()),
                fee_kes=int(z["fee_kes"]),
                days=str(z.get("days") or ""),
                pay_on_delivery=bool(z.get("pay_on_delivery", shop_wide)),
            )
            for z in config["zones"]
        ]
    return _legacy_zones(config, shop_wide)


def shop_pay_on_delivery(settings: Mapping[str, Any]) -> bool:
    """The shop-wide answer zones inherit until the owner chooses per zone."""
    return bool((settings.get("shop") or {}).get("pay_on_delivery"))


def zones_decide_pay_on_delivery(settings: Mapping[str, Any]) -> bool:
    """Whether the owner chose pay on delivery per zone (saved zones that say it)."""
    saved = _config(settings).get("zones") or []
    return any("pay_on_delivery" in zone for zone in saved)


def any_zone_allows(settings: Mapping[str, Any]) -> bool:
    """Whether pay on delivery is possible anywhere the boutique delivers."""
    return any(zone.pay_on_delivery for zone in zones_of(settings))


def _legacy_zones(config: Mapping[str, Any], pay_on_delivery: bool) -> list[Zone]:
    fees = {**DEFAULT_FEES, **{key_of(k): int(v) for k, v in (config.get("fees") or {}).items()}}
    typed = {str(k): key_of(str(v)) for k, v in (config.get("areas") or {}).items()}
    areas = {key_of(k): (k, zone) for k, zone in {**DEFAULT_AREAS, **typed}.items()}
    members: dict[str, list[str]] = {}
    for key, (area, zone) in areas.items():
        # an area priced on its own (fees {"Westlands": 250}) is its own zone, as it was
        if zone in fees and key != zone and key not in fees:
            members.setdefault(zone, []).append(area)
    return [
        Zone(
            name="CBD" if zone == "cbd" else zone.title(),
            areas=tuple(members.get(zone, ())),
            fee_kes=fee,
            pay_on_delivery=pay_on_delivery,
        )
        for zone, fee in fees.items()
        if zone != PICKUP
    ]


def shop_pickup_fee(settings: Mapping[str, Any]) -> int:
    """What collecting at the shop costs (nothing unless the older settings priced it)."""
    fees = {key_of(k): int(v) for k, v in (_config(settings).get("fees") or {}).items()}
    return fees.get(PICKUP, 0)


def zone_for(settings: Mapping[str, Any], area: str | None) -> Zone | None:
    """The zone covering `area`; None for a place no zone covers (the owner sets its fee)."""
    if not area:
        return None
    return next((zone for zone in zones_of(settings) if zone.covers(area)), None)


def is_shop_pickup(area: str | None) -> bool:
    return bool(area) and key_of(area or "") in _PICKUP_WORDS


def area_named_in(
    settings: Mapping[str, Any], text: str, extra: tuple[str, ...] = ()
) -> str | None:
    """The first zone area (or one of `extra`, e.g. pickup point areas) named in `text`, as the
    owner spelled it: how "Kisumu, Milimani estate" finds a zone the vocabulary doesn't know."""
    names = [a for zone in zones_of(settings) for a in (*zone.areas, zone.name)] + list(extra)
    lowered = key_of(text)
    for name in sorted(names, key=len, reverse=True):  # "South B" before "South"
        if name and re.search(rf"(?<![a-z]){re.escape(key_of(name))}(?![a-z])", lowered):
            return name
    return None
