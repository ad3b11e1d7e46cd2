"""Collecting at a pickup point: the list, nearest to her area first, ten rows at a time.

The list is a WhatsApp list message (ten rows at most): when more points remain, the tenth row
is "More pickup points". The points shown are kept in the state (`pickup_shown`), so a tap
("addr:point:<n>") or a typed number picks the nth of them. Her area is the one she names while
the list is open, else her last order's, else none: then the most-used points come first and she
is asked to say her area (pickup_points.nearest).
"""

from __future__ import annotations

from duka.delivery.pickup_points import PickupPoint, all_points, get_point, nearest
from duka.delivery.zones import area_named_in
from duka.orchestrator import checkout_flow
from duka.orchestrator import interactive as ix
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts
from duka.orchestrator.shopping import Turn
from duka.orchestrator.state import Delivery
from duka.orchestrator.templates import kes, say

AWAITING = "pickup_point"


def show_points(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Pickup point" tapped, or her area named while the list is open: the first page."""
    state = deps.state
    named = turn.entities.delivery_area
    if named is None and state.awaiting == AWAITING:  # an area of her words the points know
        settings = deps.business.get("settings") or {}
        areas = tuple(p.area for p in all_points(deps.conn))
        named = area_named_in(settings, turn.text, extra=areas)
    last = state.last_delivery.area if state.last_delivery else None
    state.pickup_area = named or state.pickup_area or last
    state.pickup_offset = 0
    return _page(deps, turn, facts)


def more_points(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "More pickup points": the next page of the same list."""
    deps.state.pickup_offset = (deps.state.pickup_offset or 0) + len(deps.state.pickup_shown or [])
    return _page(deps, turn, facts)


def _page(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    state, language = deps.state, turn.language
    settings = deps.business.get("settings") or {}
    points = nearest(deps.conn, settings, state.pickup_area)
    offset = state.pickup_offset or 0
    if offset >= len(points):
        offset = state.pickup_offset = 0
    rest = points[offset:]
    more = len(rest) > ix.MAX_LIST_ITEMS
    page = rest[: ix.MAX_LIST_ITEMS - 1] if more else rest
    if not page:  # the owner removed them all meanwhile
        return checkout_flow.ask_address(deps, turn, facts)
    state.awaiting = AWAITING
    state.pickup_shown = [p.id for p in page]
    facts.allow(*(p.fee_kes for p in page))
    intro = (
        say("pickup_points_near", language, area=state.pickup_area)
        if state.pickup_area
        else say("pickup_points_any", language)
    )
    lines = [f"{n}. {_line(p)}" for n, p in enumerate(page, offset + 1)]
    facts.draft = "\n".join([intro, *lines])
    rows = [
        ix.Option(
            id=ix.payload(ix.ADDRESS, ix.POINT, str(n)),
            title=ix.fit(p.name, ix.MAX_ITEM_TITLE),
            description=ix.fit(
                f"{p.area} · {kes(p.fee_kes)}" + (f" · {p.hours}" if p.hours else ""),
                ix.MAX_ITEM_DESCRIPTION,
            ),
        )
        for n, p in enumerate(page, 1)
    ]
    if more:
        title = say("btn_more_points", language)
        rows.append(ix.Option(id=ix.payload(ix.ADDRESS, ix.MORE_POINTS), title=title))
    facts.interactive = ix.Interactive("list", tuple(rows), say("btn_see_points", language))
    return facts


def _line(point: PickupPoint) -> str:
    details = [point.area, kes(point.fee_kes), point.hours, point.directions]
    return f"{point.name} ({', '.join(d for d in details if d)})"


def choose_point(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """The nth point of the list shown (a tap, or her typed number): checkout to collect there."""
    state = deps.state
    shown = state.pickup_shown or []
    n = turn.entities.item_refs[0] if turn.entities.item_refs else 0
    point = get_point(deps.conn, shown[n - 1]) if 0 < n <= len(shown) else None
    if point is None:
        facts = _page(deps, turn, facts)
        facts.draft = say("pickup_point_gone", turn.language) + "\n" + facts.draft
        return facts
    state.delivery = Delivery(
        address=f"Pickup: {point.name}, {point.area}",
        area=point.area,
        fee_kes=point.fee_kes,
        pickup_point_id=point.id,
    )
    state.awaiting = None
    state.pickup_shown = state.pickup_offset = state.pickup_area = None
    return checkout_flow.checkout(deps, turn, facts)
