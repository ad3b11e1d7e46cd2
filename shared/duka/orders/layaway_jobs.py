"""The `layaway` scheduled job: check instalment prompts left open (`layaway_prompts`), remind
customers on the shop's cadence, and end plans whose term ran out (stock back on the shelf,
customer and owner told; the owner then decides the deposit on the order page).

Safe under redelivery and concurrent runs: each plan is handled under its row lock, a reminder
is claimed by moving `layaway_next_reminder_at` with a conditional UPDATE before anything is
queued, and a plan lapses only from 'layaway'. Messages are queued in that transaction and sent
after it commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from duka.db.pool import Connection, tenant_transaction, transaction
from duka.logs import log
from duka.orders import layaway_notices, reservations, store
from duka.orders.layaway_prompts import check_open_prompts
from duka.outbound import deliver_pending, queue_reply
from duka.store import consent, conversations
from duka.whatsapp_templates import owner_alert

logger = logging.getLogger(__name__)

MAX_PLANS = 200


@dataclass
class LayawayReport:
    reminded: int = 0
    lapsed: int = 0
    prompts_closed: int = 0


def run_layaway(max_plans: int = MAX_PLANS) -> LayawayReport:
    """One pass over every tenant's plans due a reminder or at the end of their term."""
    with transaction() as conn:
        due = conn.execute("SELECT * FROM layaway_orders_due(%s)", (max_plans,)).fetchall()
    report = LayawayReport(prompts_closed=check_open_prompts())
    for row in due:
        business_id, order_id = str(row["business_id"]), str(row["order_id"])
        handled = _handle(business_id, order_id)
        if handled is None:
            continue
        outcome, conversation_id = handled
        setattr(report, outcome, getattr(report, outcome) + 1)
        deliver_pending(business_id, conversation_id)
    if due or report.prompts_closed:
        log(logger, logging.INFO, "layaway plans handled", due=len(due), **vars(report))
    return report


def _handle(business_id: str, order_id: str) -> tuple[str, str] | None:
    """('lapsed' or 'reminded', the conversation to send to), or None (another run got there
    first, or nothing was due)."""
    with tenant_transaction(business_id) as conn:
        order = store.lock_order(conn, order_id)
        if order is None or order["status"] != "layaway" or order["conversation_id"] is None:
            return None
        now = datetime.now(UTC)
        conversation_id = str(order["conversation_id"])
        if order["layaway_due_at"] <= now:
            _lapse(conn, order)
            return "lapsed", conversation_id
        next_at = order["layaway_next_reminder_at"]
        if next_at is None or next_at > now or not _claim_reminder(conn, order_id, next_at):
            return None
        if consent.opted_out(conn, business_id, str(order["customer_phone"])):
            return None  # a reminder is proactive: never to a customer who said STOP
        language = conversations.reply_language(conn, conversation_id)
        text, template = layaway_notices.reminder(conn, order, language)
        _queue(conn, order, text, {"kind": "layaway_reminder", "template": template})
        return "reminded", conversation_id


def _claim_reminder(conn: Connection, order_id: str, due: datetime) -> bool:
    """Move the plan's next reminder on by its cadence, only if it is still the one seen."""
    return (
        conn.execute(
            "UPDATE orders SET layaway_next_reminder_at = layaway_next_reminder_at"
            " + make_interval(days => layaway_reminder_days)"
            " WHERE id = %s AND layaway_next_reminder_at = %s RETURNING id",
            (order_id, due),
        ).fetchone()
        is not None
    )


def _lapse(conn: Connection, order: dict[str, Any]) -> None:
    """The term ended unpaid: stock back, customer told, owner alerted to decide the deposit."""
    order_id = str(order["id"])
    conn.execute(
        "UPDATE orders SET status = 'lapsed', layaway_lapsed_at = now(),"
        " layaway_next_reminder_at = NULL, notified_state = 'lapsed', updated_at = now()"
        " WHERE id = %s",
        (order_id,),
    )
    released = reservations.release(conn, order_id)
    language = conversations.reply_language(conn, str(order["conversation_id"]))
    text, template = layaway_notices.lapsed(conn, {**order, "status": "lapsed"}, language)
    _queue(conn, order, text, {"kind": "layaway_lapsed", "template": template})
    owner = conn.execute(
        "SELECT phone, whatsapp_number FROM businesses WHERE id = %s", (order["business_id"],)
    ).fetchone()
    if owner and owner["phone"] and owner["phone"] != owner["whatsapp_number"]:
        reason = "a lipa pole pole term ended unpaid; decide the deposit on the order page"
        queue_reply(
            conn,
            business_id=str(order["business_id"]),
            conversation_id=str(order["conversation_id"]),
            text=f"Duka alert: {reason}. Customer: {order['customer_phone']}.",
            role="system",
            to=str(owner["phone"]),
            metadata={"template": owner_alert(reason, str(order["customer_phone"]))},
        )
    log(
        logger,
        logging.INFO,
        "layaway plan lapsed; stock released",
        business_id=str(order["business_id"]),
        order_id=order_id,
        released=released,
    )


def _queue(conn: Connection, order: dict[str, Any], text: str, metadata: dict[str, Any]) -> None:
    queue_reply(
        conn,
        business_id=str(order["business_id"]),
        conversation_id=str(order["conversation_id"]),
        text=text,
        metadata={**metadata, "order_id": str(order["id"]), "proactive": True},
    )
