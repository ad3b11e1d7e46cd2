"""A tap on a WhatsApp button or list row, routed without classification.

The tap's payload (interactive.py) names the action, the product and the size; it is checked
against the conversation's state before anything happens: the product must be in the list
shown (or be the item waiting for its size), the size must be one the product offers and has
in stock, the cart must hold something to pay for, the order retried must be this chat's
failed one. A payload that fails a check (an old message tapped, or one we never sent) routes
to `tap_stale`, which changes nothing and offers the current choices again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from duka.db.pool import Connection
from duka.orchestrator import interactive as ix
from duka.orchestrator import restock_words
from duka.orchestrator.entities import Entities
from duka.orchestrator.intents import Classification, Intent
from duka.orchestrator.language import Language
from duka.orchestrator.routing import Routed
from duka.orchestrator.state import ConversationState
from duka.orchestrator.tools.cart import sizes_of
from duka.orders import store as order_store
from duka.store import products as product_store

STALE = "tap_stale"
# Payment states a "Try again" may follow.
_RETRYABLE = frozenset({"failed", "expired", "cancelled"})
# Actions that need nothing from the state.
_ALWAYS = {
    ix.BROWSE: "browse",
    ix.MY_ORDER: "order_status",
    ix.PERSON: "talk_to_person",
    ix.PAY_WAYS: "other_ways_to_pay",
    ix.REPEAT: "repeat_order",  # "Same as last time": the handler finds her last paid order
}


def tap_of(inbound: Sequence[dict[str, Any]]) -> dict[str, str] | None:
    """The newest message's tap (`metadata["tap"]`), when the newest message is one."""
    if not inbound:
        return None
    tap = (inbound[-1].get("metadata") or {}).get("tap")
    return tap if isinstance(tap, dict) and tap.get("payload") else None


def _routed(intent: str, text: str, entities: Entities | None = None) -> Routed:
    known = intent in Intent.__members__.values()
    reading = Classification(
        intent=Intent(intent) if known else Intent.OTHER,
        entities=entities or Entities(),
        language=Language.EN,  # unused: a tap keeps the conversation's language
        confidence=1.0,
        decisive=True,  # the customer pressed it: never a guess
    )
    return Routed(intent, reading, text)


def route_tap(
    conn: Connection,
    conversation_id: str,
    state: ConversationState,
    tap: dict[str, str],
    *,
    pickup_offered: bool,
) -> Routed:
    """The intent and entities a tap stands for, or `tap_stale` when the state refuses it."""
    text = str(tap.get("title") or "")
    parsed = ix.parse_payload(str(tap["payload"]))
    if parsed is None:
        return _routed(STALE, text)
    if parsed.action in _ALWAYS:
        return _routed(_ALWAYS[parsed.action], text)
    if parsed.action in restock_words.TAP_ACTIONS:  # "Tell me when back", "Buy now"
        intent = restock_words.tap_intent(conn, conversation_id, state, parsed)
        return _routed(intent or STALE, text)
    has_cart = bool(state.current_cart().items)
    shown = [p.id for p in state.shown_items()]
    parts = parsed.parts
    if parsed.action == ix.PICK and len(parts) == 1 and parts[0] in shown:
        return _routed("add_to_cart", text, Entities(item_refs=(shown.index(parts[0]) + 1,)))
    if parsed.action == ix.SIZE and len(parts) == 2:
        product_id, size = parts
        waiting = state.pending_add is not None and state.pending_add.id == product_id
        if (waiting or product_id in shown) and _size_in_stock(conn, product_id, size):
            refs = (shown.index(product_id) + 1,) if product_id in shown else ()
            return _routed("add_to_cart", text, Entities(item_refs=refs, sizes=(size,)))
    if parsed.action == ix.PAY and not parts and has_cart:
        return _routed("checkout", text)
    if parsed.action == ix.EDIT_CART and not parts and has_cart:
        return _routed("edit_cart", text)
    if parsed.action == ix.ADDRESS and parts == (ix.LAST_ADDRESS,) and has_cart:
        if state.last_delivery is not None:
            return _routed("same_address", text)
    if parsed.action == ix.ADDRESS and parts == (ix.PICKUP,) and has_cart and pickup_offered:
        return _routed("pickup", text)
    if parsed.action == ix.ADDRESS and has_cart and parts and parts[0] in _POINT_TAPS:
        return _pickup_tap(state, parts, text)
    if parsed.action == ix.RETRY and len(parts) == 1 and has_cart:
        if parts[0] == state.order_id and _retryable(conn, conversation_id, parts[0]):
            return _routed("retry_payment", text)
    return _routed(STALE, text)


_POINT_TAPS = frozenset({ix.POINTS, ix.MORE_POINTS, ix.POINT})


def _pickup_tap(state: ConversationState, parts: tuple[str, ...], text: str) -> Routed:
    """ "Pickup point", "More pickup points" or a point of the list shown (pickup_flow.py)."""
    listed = state.awaiting == "pickup_point"
    if parts == (ix.POINTS,):
        return _routed("pickup_points", text)
    if parts == (ix.MORE_POINTS,) and listed:
        return _routed("pickup_more", text)
    shown = state.pickup_shown or []
    if len(parts) == 2 and parts[0] == ix.POINT and listed and parts[1].isdigit():
        if 0 < int(parts[1]) <= len(shown):
            return _routed("pickup_point", text, Entities(item_refs=(int(parts[1]),)))
    return _routed(STALE, text)


def _size_in_stock(conn: Connection, product_id: str, size: str) -> bool:
    product = product_store.get_product(conn, product_id)
    if product is None or not product["active"] or int(product["stock"]) <= 0:
        return False
    if size.upper() not in sizes_of(product):
        return False
    per_size = {s.upper(): n for s, n in product_store.size_stock(conn, product_id).items()}
    return not per_size or per_size.get(size.upper(), 0) > 0


def _retryable(conn: Connection, conversation_id: str, order_id: str) -> bool:
    """The chat's latest order is this one, and it is unpaid: ended, or with its prompt still
    open (asked about at the gateway before any new prompt; not one flagged for the owner)."""
    order = order_store.latest_order(conn, conversation_id)
    if order is None or str(order["id"]) != order_id or order["flagged"]:
        return False
    return order["status"] in _RETRYABLE or order["status"] == "pending"
