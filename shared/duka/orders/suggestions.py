""" "You may also like" after payment: one message per paid order, right after the paid notice.

Up to `MAX_SUGGESTIONS` products that are in stock now and that she has never bought, ranked
by her history with the boutique: the same garment type as something she bought counts
`SAME_KIND`, a colour she bought counts `SAME_COLOUR`, and closeness in the product vector
index to anything she bought adds up to 1 (1 - cosine distance between the stored product
embeddings, same embedding model only). A product that matches nothing is never suggested.

The order is claimed (`orders.suggested_at`) in the transaction that queues the message, so a
redelivered payment event never suggests twice. It goes only inside WhatsApp's 24-hour window
(it is free text) and never while the owner has the chat, and it is proactive: a customer who
said STOP gets none. The products become the chat's shown list, so a tap on a row or "#1 in M"
adds one to the cart as after a search. Nothing is recorded for attribution: an order that
follows is the customer's own (organic).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from duka.db.pool import Connection, tenant_transaction
from duka.logs import log
from duka.orchestrator.facts import ShownProduct
from duka.orchestrator.interactive import product_list
from duka.orchestrator.state import ConversationState
from duka.orchestrator.templates import product_lines, say
from duka.outbound import SESSION_WINDOW, deliver_pending, queue_reply
from duka.store import conversations

logger = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3
SAME_KIND = Decimal(2)
SAME_COLOUR = Decimal(1)


def suggest_after_payment(business_id: str, order_id: str) -> None:
    """Queue and send the order's one suggestion message, if it is paid and not yet claimed."""
    with tenant_transaction(business_id) as conn:
        order = conn.execute(
            "SELECT id, conversation_id, customer_phone, status, flagged, flag_resolution,"
            " suggested_at FROM orders WHERE id = %s",
            (order_id,),
        ).fetchone()
        if order is None or order["conversation_id"] is None or not _settled_paid(order):
            return
        if order["suggested_at"] is not None:
            return
        conversation_id = str(order["conversation_id"])
        # The order's row, then the conversation's: the order the payment path locks them in.
        claimed = conn.execute(
            "UPDATE orders SET suggested_at = now() WHERE id = %s AND suggested_at IS NULL"
            " RETURNING id",
            (order_id,),
        ).fetchone()
        conversation = conversations.lock_conversation(conn, conversation_id)
        if conversation is None or claimed is None or not _may_suggest(conversation):
            return
        products = suggestions_for(conn, str(order["customer_phone"]))
        if not products:
            return
        _queue(conn, business_id, conversation, order_id, products)
    deliver_pending(business_id, conversation_id)


def _settled_paid(order: dict[str, Any]) -> bool:
    """Paid, and not waiting for the owner's decision on a flagged payment."""
    return order["status"] == "paid" and (
        not order["flagged"] or order["flag_resolution"] == "accepted"
    )


def _may_suggest(conversation: dict[str, Any]) -> bool:
    """Inside the 24-hour window, and the chat is the agent's (not handed over or taken)."""
    last = conversation.get("last_customer_message_at")
    in_window = last is not None and datetime.now(UTC) - last <= SESSION_WINDOW
    metadata = conversation.get("metadata") or {}
    owners = conversation["status"] == "handed_over" or bool(metadata.get("taken_over_by"))
    return in_window and not owners


def suggestions_for(conn: Connection, customer_phone: str) -> list[ShownProduct]:
    """The best `MAX_SUGGESTIONS` in-stock products for her, by the ranking above."""
    history = conn.execute(
        "SELECT DISTINCT p.id, p.category, p.attrs FROM order_items oi"
        " JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id"
        " WHERE o.customer_phone = %s AND o.status = 'paid'",
        (customer_phone,),
    ).fetchall()
    if not history:
        return []
    bought = [row["id"] for row in history]
    kinds = {row["category"] for row in history if row["category"]}
    colours = {c for row in history for c in (row["attrs"] or {}).get("colors") or []}
    candidates = conn.execute(
        "SELECT p.*, (SELECT min(p.embedding <=> h.embedding) FROM products h"
        "  WHERE h.id = ANY(%s) AND h.embedding IS NOT NULL AND p.embedding IS NOT NULL"
        "  AND h.embedding_model = p.embedding_model) AS distance"
        " FROM products p WHERE p.active AND p.stock > 0 AND NOT (p.id = ANY(%s))"
        " ORDER BY p.created_at DESC, p.id",
        (bought, bought),
    ).fetchall()
    scored = [(_score(row, kinds, colours), index, row) for index, row in enumerate(candidates)]
    ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
    return [ShownProduct.from_row(row) for _, _, row in ranked[:MAX_SUGGESTIONS]]


def _score(row: dict[str, Any], kinds: set[str], colours: set[str]) -> Decimal:
    score = SAME_KIND if row["category"] in kinds else Decimal(0)
    if colours & set((row["attrs"] or {}).get("colors") or []):
        score += SAME_COLOUR
    if row["distance"] is not None:
        score += max(Decimal(0), 1 - Decimal(str(row["distance"])))
    return score


def _queue(
    conn: Connection,
    business_id: str,
    conversation: dict[str, Any],
    order_id: str,
    products: list[ShownProduct],
) -> None:
    conversation_id = str(conversation["id"])
    state = ConversationState.load(conversation)
    state.shown = products  # "#1 in M" or a tap on a row picks from these
    conversations.save_metadata(conn, conversation_id, state.to_metadata())
    language = conversations.reply_language(conn, conversation_id)
    text = "\n".join(
        [say("suggest_header", language), product_lines(products), say("pick_hint", language)]
    )
    metadata: dict[str, Any] = {
        "kind": "suggestion",
        "order_id": order_id,
        "proactive": True,  # never to a customer who said STOP
        "interactive": product_list(products, language).to_metadata(text),
    }
    queue_reply(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        text=text,
        metadata=metadata,
    )
    log(
        logger,
        logging.INFO,
        "suggestions queued after payment",
        business_id=business_id,
        conversation_id=conversation_id,
        order_id=order_id,
        shown=[p.id for p in products],
    )
