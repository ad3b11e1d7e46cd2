"""What the customer is told when a payment ends, in English or Swahili, exactly once.

The order's current state decides the message (a payment event only says "look again"), and
`orders.notified_state` remembers what was already said, so redelivered events say nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from duka.catalog.search import active_embedding_model, embed_query
from duka.config import ConfigError
from duka.db.pool import Connection, tenant_transaction
from duka.llm import LLMUnavailable
from duka.logs import log
from duka.orchestrator.interactive import payment_failed_buttons
from duka.orders import layaway_notices, reversals, store, suggestions
from duka.orders.payment_events import PaymentEvent
from duka.outbound import deliver_pending, queue_reply
from duka.payments import FailureReason, failure_message
from duka.store import conversations
from duka.whatsapp_templates import template_metadata

logger = logging.getLogger(__name__)

_TEXT: dict[str, dict[str, str]] = {
    "paid": {
        "en": "✅ Payment received! Your order is confirmed.\n{lines}\n"
        "Total paid: {total}{receipt}\n{delivery} Asante!",
        "sw": "✅ Malipo yamepokelewa! Oda yako imethibitishwa.\n{lines}\n"
        "Jumla iliyolipwa: {total}{receipt}\n{delivery} Asante!",
    },
    "deliver": {
        "en": "We'll deliver to {address} in 2-3 days.",
        "sw": "Tutakuletea {address} ndani ya siku 2-3.",
    },
    "pickup": {
        "en": "We'll tell you when it is ready for pickup.",
        "sw": "Tutakujulisha ikiwa tayari kuchukuliwa.",
    },
    "delivery_line": {"en": "Delivery", "sw": "Usafirishaji"},
    "expired": {
        "en": "⌛ Your order of {total} has expired because the M-Pesa payment was not "
        'completed, so the items are back on the shelf. Reply "checkout" if you would still '
        "like them.",
        "sw": "⌛ Oda yako ya {total} imepitwa na muda kwa sababu malipo ya M-Pesa hayakukamilika, "
        'kwa hivyo bidhaa zimerudishwa dukani. Jibu "checkout" kama bado unazitaka.',
    },
    "flagged": {
        "en": "We received your M-Pesa payment of {received} for your order of {total}. "
        "The boutique will check it and get back to you shortly.",
        "sw": "Tumepokea malipo yako ya M-Pesa ya {received} kwa oda yako ya {total}. "
        "Duka litayakagua na kuwasiliana nawe hivi karibuni.",
    },
    "cancelled": {
        "en": "Your order of {total} has been cancelled by the boutique and the items are back "
        "on the shelf. The boutique will contact you about your M-Pesa payment of {received}.",
        "sw": "Oda yako ya {total} imeghairiwa na duka na bidhaa zimerudishwa dukani. Duka "
        "litawasiliana nawe kuhusu malipo yako ya M-Pesa ya {received}.",
    },
}


def kes(amount: Decimal | int) -> str:
    return f"KES {Decimal(amount):,.0f}"


def notify_payment_event(payload: Mapping[str, Any]) -> None:
    """process_payment's work: tell the customer how their payment ended, once, then send it.
    Raises on transient failures so Pub/Sub redelivers."""
    if payload.get("event") == PaymentEvent.REFUND_REQUESTED:  # send the owner's reversals
        reversals.send_requested(payload)
        return
    business_id, order_id = payload.get("business_id"), payload.get("order_id")
    if not business_id or not order_id:
        log(logger, logging.ERROR, "payment event without ids; acknowledged", payload=dict(payload))
        return
    memory_id: str | None = None
    with tenant_transaction(str(business_id)) as conn:
        order = store.lock_order(conn, str(order_id))
        if order is None or order["conversation_id"] is None:
            log(
                logger,
                logging.ERROR,
                "payment event for a missing order; acknowledged",
                business_id=business_id,
                order_id=order_id,
            )
            return
        conversation_id = str(order["conversation_id"])
        state = layaway_notices.notice_state(conn, order) or notification_state(order)
        if state is not None and state != order["notified_state"]:
            memory_id = _store_message(conn, order, state)
    deliver_pending(str(business_id), conversation_id)
    suggestions.suggest_after_payment(str(business_id), str(order_id))  # "you may also like"
    if memory_id is not None:
        _embed_memory(str(business_id), memory_id)


def notification_state(order: Mapping[str, Any]) -> str | None:
    """What the customer should have been told about this order, e.g. 'paid:1'. Once the owner
    decided a flagged order, the decision is what the customer hears."""
    if order["flag_resolution"] == "accepted":
        kind = "paid"
    elif order["flag_resolution"] == "cancelled":
        kind = "cancelled"
    elif order["flagged"]:
        kind = "flagged"
    elif order["status"] in ("paid", "failed", "expired"):
        kind = order["status"]
    else:
        return None
    return f"{kind}:{order['attempt']}"


def _store_message(conn: Connection, order: Mapping[str, Any], state: str) -> str | None:
    """Store the notice and, once paid, the purchase memory (whose id is returned)."""
    business_id, order_id = str(order["business_id"]), str(order["id"])
    memory_id: str | None = None
    conversation_id = str(order["conversation_id"])
    language = conversations.reply_language(conn, conversation_id)
    kind = state.split(":", 1)[0]
    items = store.order_items(conn, order_id)
    layaway_template: dict[str, Any] | None = None
    if kind == "layaway":  # a plan's payment: "received X, balance Y, due Z"
        text, layaway_template = layaway_notices.payment_notice(conn, order, language)
    elif kind == "paid":
        text = _paid_text(order, items, language)
        memory_id = _save_memory(conn, order, items)
    elif kind == "failed":
        text = failure_message(_failure_reason(order["failure_reason"]), language)
    elif kind == "expired":
        text = _TEXT["expired"][language].format(total=kes(order["amount"]))
    else:
        received = store.flagged_amount(conn, order_id)
        text = _TEXT[kind][language].format(
            received=kes(received if received is not None else order["amount"]),
            total=kes(order["amount"]),
        )
    metadata: dict[str, Any] = {"kind": f"payment_{kind}", "order_id": order_id, "proactive": True}
    # Outside the 24-hour window only the approved template can go.
    if layaway_template is not None:
        metadata["template"] = layaway_template
    elif kind == "paid":
        metadata["template"] = _paid_template(conn, order, items)
    else:
        metadata["template"] = _ended_template(conn, order, kind)
    if kind in ("failed", "expired"):  # the same order can be prompted again: offer it
        buttons = payment_failed_buttons(order_id, language)
        metadata["interactive"] = buttons.to_metadata(text)
    queue_reply(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        text=text,
        metadata=metadata,
    )
    store.set_notified(conn, order_id, state)
    log(
        logger,
        logging.INFO,
        "payment notification stored",
        business_id=business_id,
        conversation_id=conversation_id,
        order_id=order_id,
        state=state,
    )
    return memory_id


def _failure_reason(value: str | None) -> FailureReason:
    try:
        return FailureReason(value or "")
    except ValueError:
        return FailureReason.UNKNOWN


def _item_label(item: Mapping[str, Any]) -> str:
    size = f" ({item['size']})" if item["size"] else ""
    return f"{item['name']}{size} x{item['quantity']}"


def _paid_text(order: Mapping[str, Any], items: list[dict[str, Any]], language: str) -> str:
    delivery = order["delivery_info"] or {}
    lines = [f"• {_item_label(item)} — {kes(item['line_total'])}" for item in items]
    area = f" ({delivery['area']})" if delivery.get("area") else ""
    lines.append(f"• {_TEXT['delivery_line'][language]}{area} — {kes(delivery.get('fee_kes', 0))}")
    if delivery.get("zone") == "pickup":
        when = _TEXT["pickup"][language]
    else:
        when = _TEXT["deliver"][language].format(address=delivery.get("address") or "you")
    receipt = f" · M-Pesa {order['transaction_id']}" if order["transaction_id"] else ""
    paid = order["amount_received"] if order["amount_received"] is not None else order["amount"]
    return _TEXT["paid"][language].format(
        lines="\n".join(lines), total=kes(paid), receipt=receipt, delivery=when
    )


def _shop_name(conn: Connection, order: Mapping[str, Any]) -> str:
    shop = conn.execute(
        "SELECT name FROM businesses WHERE id = %s", (order["business_id"],)
    ).fetchone()
    return str(shop["name"]) if shop else "the shop"


def _paid_template(
    conn: Connection, order: Mapping[str, Any], items: list[dict[str, Any]]
) -> dict[str, Any]:
    paid = order["amount_received"] if order["amount_received"] is not None else order["amount"]
    bought = ", ".join(_item_label(item) for item in items)
    return template_metadata(
        "order_paid",
        {
            "1": _shop_name(conn, order),
            "2": bought if len(bought) <= 200 else bought[:199] + "…",
            "3": kes(paid),
        },
    )


_ENDED_TEMPLATES = {
    "failed": "payment_failed",
    "expired": "payment_expired",
    "flagged": "payment_flagged",
    "cancelled": "order_cancelled",
}


def _ended_template(conn: Connection, order: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The template of a payment that did not simply succeed: shop, total and, where money
    arrived (flagged, cancelled), how much."""
    variables = {"1": _shop_name(conn, order), "2": kes(order["amount"])}
    if kind in ("flagged", "cancelled"):
        received = store.flagged_amount(conn, str(order["id"]))
        variables["3"] = kes(received if received is not None else order["amount"])
    return template_metadata(_ENDED_TEMPLATES[kind], variables)


def _save_memory(conn: Connection, order: Mapping[str, Any], items: list[dict[str, Any]]) -> str:
    """Remember the purchase for later conversations; returns the memory's id."""
    bought = "; ".join(
        f"{item['name']}{' size ' + item['size'] if item['size'] else ''}"
        f"{' x' + str(item['quantity']) if item['quantity'] > 1 else ''}, {kes(item['line_total'])}"
        for item in items
    )
    row = conn.execute(
        "INSERT INTO agent_memories (business_id, conversation_id, customer_phone, summary)"
        " VALUES (%s, %s, %s, %s) RETURNING id",
        (
            order["business_id"],
            order["conversation_id"],
            order["customer_phone"],
            f"Bought {bought}",
        ),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def _embed_memory(business_id: str, memory_id: str) -> None:
    """Best effort, once the customer has their message: a memory without a vector is still
    found by recency, and embedding may load a model or call Gemini."""
    with tenant_transaction(business_id) as conn:
        row = conn.execute(
            "SELECT summary FROM agent_memories WHERE id = %s", (memory_id,)
        ).fetchone()
    if row is None:
        return
    try:
        vector = embed_query(str(row["summary"]))
        model = active_embedding_model()
    except (LLMUnavailable, ConfigError) as exc:
        log(
            logger,
            logging.WARNING,
            "purchase memory kept without embedding",
            business_id=business_id,
            memory_id=memory_id,
            error=str(exc),
        )
        return
    with tenant_transaction(business_id) as conn:
        conn.execute(
            "UPDATE agent_memories SET embedding = %s::vector, embedding_model = %s WHERE id = %s",
            ("[" + ",".join(f"{x:.6f}" for x in vector) + "]", model, memory_id),
        )
