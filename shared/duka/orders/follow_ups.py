"""Follow-ups: the owner's switches and delays, and the claim that makes each one go once.

`businesses.settings["follow_ups"]` = {"cart": {"on", "delay_minutes"}, "prompt": {...}}; a kind
not saved yet is on, with its default delay. Which chat is due which kind (every rule: quiet
long enough, at most 2 per cart 20 hours apart, not paid, not STOP, not handed over, inside the
24-hour window or opted in) is the SQL function `follow_up_kind` (migration 027), so the
cross-tenant listing and the re-check under the chat's lock cannot disagree.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from duka.db.pool import Connection

Kind = Literal["cart", "prompt"]
KINDS: tuple[Kind, ...] = ("cart", "prompt")
# A cart is reminded after an hour of quiet; an ended prompt is offered again after half an hour
# (long enough for her own retry or "checkout", short enough that she still wants the items).
DEFAULT_DELAY_MINUTES: dict[Kind, int] = {"cart": 60, "prompt": 30}
# The form's bounds: from 5 minutes to a week (the job looks at carts quiet up to 30 days).
MIN_DELAY_MINUTES, MAX_DELAY_MINUTES = 5, 7 * 24 * 60


def rules(settings: dict[str, Any]) -> dict[Kind, dict[str, Any]]:
    """Each kind's {"on": bool, "delay_minutes": int}, defaults filled in."""
    saved = settings.get("follow_ups") or {}
    out: dict[Kind, dict[str, Any]] = {}
    for kind in KINDS:
        mine = saved.get(kind) or {}
        out[kind] = {
            "on": mine.get("on", True) is True,
            "delay_minutes": int(mine.get("delay_minutes", DEFAULT_DELAY_MINUTES[kind])),
        }
    return out


def due_kind(conn: Connection, conversation_id: str) -> Kind | None:
    """The follow-up this chat is due now, checked by the same function the listing used."""
    row = conn.execute("SELECT follow_up_kind(%s) AS kind", (conversation_id,)).fetchone()
    return cast(Kind | None, row["kind"] if row else None)


def claim(
    conn: Connection,
    *,
    business_id: str,
    conversation_id: str,
    customer_phone: str,
    kind: Kind,
    order_id: str | None,
) -> str | None:
    """Record the follow-up as this cart's next (1 or 2); None when another run already has."""
    row = conn.execute(
        "INSERT INTO follow_ups (business_id, conversation_id, customer_phone, kind, cart_key,"
        " seq, order_id)"
        " SELECT %(b)s, %(c)s, %(p)s, %(k)s, cart.key, (SELECT count(*) + 1 FROM follow_ups f"
        "   WHERE f.conversation_id = %(c)s AND f.cart_key = cart.key), %(o)s"
        " FROM (SELECT follow_up_cart_key(%(c)s) AS key) cart"
        " ON CONFLICT DO NOTHING RETURNING id",
        {"b": business_id, "c": conversation_id, "p": customer_phone, "k": kind, "o": order_id},
    ).fetchone()
    return None if row is None else str(row["id"])


def note_message(conn: Connection, follow_up_id: str, message_id: str) -> None:
    conn.execute("UPDATE follow_ups SET message_id = %s WHERE id = %s", (message_id, follow_up_id))
