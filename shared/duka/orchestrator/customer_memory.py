"""What the boutique remembers of a returning customer: her usual size per garment type, and
her last paid order ("same as last time", repeat_order.py).

Her usual size for a garment type (`products.category`) is the size with the highest score
over her history with the boutique (her phone number, any conversation): each line of a paid
order counts `PAID_WEIGHT`, each size she chose in chat for an item she put in her cart counts
`STATED_WEIGHT` (table `size_choices`); a tie goes to the size she bought or chose most
recently. It is offered first when the agent asks "which size?", and only when the product
has it in stock; a short yes to "in your usual M?" then adds the item in M.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from duka.catalog.sizes import match_size
from duka.db.pool import Connection
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts
from duka.orchestrator.intents import Classification, ClassifierContext, classify
from duka.orchestrator.interactive import with_repeat
from duka.orchestrator.restock_offer import extra_of
from duka.orchestrator.state import ConversationState
from duka.orchestrator.templates import say

PAID_WEIGHT = 2  # a size she paid for says more than one she only chose
STATED_WEIGHT = 1
USUAL_KEY = "usual_size"  # state extra: {product_id, size} offered with "which size?"
_SHORT_YES = 4  # a yes this short answers "in your usual M?"


def usual_size(conn: Connection, customer_phone: str, category: str) -> str | None:
    """Her usual size for a garment type, by the rule above; None with no history in it."""
    if not category:
        return None
    row = conn.execute(
        "SELECT size FROM ("
        " SELECT upper(oi.size) AS size, %s AS weight, COALESCE(o.paid_at, o.created_at) AS at"
        " FROM order_items oi JOIN orders o ON o.id = oi.order_id"
        " JOIN products p ON p.id = oi.product_id"
        " WHERE o.customer_phone = %s AND o.status = 'paid' AND p.category = %s"
        " AND oi.size IS NOT NULL"
        " UNION ALL"
        " SELECT upper(size), %s, chosen_at FROM size_choices"
        " WHERE customer_phone = %s AND category = %s"
        ") history GROUP BY size ORDER BY sum(weight) DESC, max(at) DESC, size LIMIT 1",
        (PAID_WEIGHT, customer_phone, category, STATED_WEIGHT, customer_phone, category),
    ).fetchone()
    return str(row["size"]) if row else None


def remember_choice(deps: TurnDeps, product: dict[str, Any], size: str) -> None:
    """A size she named (typed or tapped) for an item that went into her cart."""
    if not product.get("category"):
        return
    deps.conn.execute(
        "INSERT INTO size_choices (business_id, customer_phone, category, size, product_id)"
        " VALUES (%s, %s, %s, %s, %s)",
        (deps.business_id, deps.customer_phone, product["category"], size.upper(), product["id"]),
    )


def usual_in_stock(deps: TurnDeps, product: dict[str, Any], in_stock: list[str]) -> str | None:
    """Her usual size for this product's garment type, in the product's spelling, when the
    product has it in stock (remembered in the state so a yes picks it); else None."""
    extra = extra_of(deps.state)
    extra.pop(USUAL_KEY, None)
    usual = usual_size(deps.conn, deps.customer_phone, str(product.get("category") or ""))
    size = match_size(usual, in_stock) if usual else None
    if size is not None:
        extra[USUAL_KEY] = {"product_id": str(product["id"]), "size": size}
    return size


def usual_line(size: str | None, language: str) -> str:
    """ "\\nIn your usual M?" after the size question, or nothing."""
    return "\n" + say("usual_size", language, size=size) if size else ""


def yes_to_usual(
    text: str, has_media: bool, state: ConversationState
) -> tuple[str, Classification] | None:
    """A short yes to "in your usual M?" while that item waits for its size: add it in M."""
    if state.awaiting != "size":
        extra_of(state).pop(USUAL_KEY, None)  # the size question was answered or let go
        return None
    offered, waiting = extra_of(state).get(USUAL_KEY), state.pending_add
    if not isinstance(offered, dict) or waiting is None:
        return None
    if offered.get("product_id") != waiting.id or len(text.split()) > _SHORT_YES:
        return None
    context = ClassifierContext(
        awaiting=None, has_cart=bool(state.current_cart().items), has_shown_items=bool(state.shown)
    )
    reading = classify(text, has_media=has_media, context=context)
    yes = reading.entities.yes and not reading.entities.no  # confirmation.says_yes
    if not yes or reading.entities.sizes:
        return None
    entities = replace(reading.entities, sizes=(str(offered["size"]),))
    return "add_to_cart", replace(reading, entities=entities, decisive=True)


def last_paid_order(conn: Connection, customer_phone: str) -> dict[str, Any] | None:
    """Her newest paid order with the boutique, from any conversation."""
    return conn.execute(
        "SELECT * FROM orders WHERE customer_phone = %s AND status = 'paid'"
        " ORDER BY paid_at DESC NULLS LAST, created_at DESC, id LIMIT 1",
        (customer_phone,),
    ).fetchone()


def offer_repeat(deps: TurnDeps, facts: Facts, language: str) -> None:
    """A returning customer asking to shop (or tapping Browse) sees "Same as last time" first."""
    listed = facts.interactive
    if listed is not None and listed.kind == "list" and has_paid_order(deps):
        facts.interactive = with_repeat(listed, language)


def has_paid_order(deps: TurnDeps) -> bool:
    """A returning customer: one paid order with the boutique is enough."""
    return last_paid_order(deps.conn, deps.customer_phone) is not None
