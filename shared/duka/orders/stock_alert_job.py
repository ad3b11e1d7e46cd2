"""The `stock_alerts` scheduled job: tell each customer waiting for a sold-out size that it is
back, once, with a button to buy it.

Each due alert (listed across tenants by `stock_alerts_due`) is handled in its tenant's
transaction under the alert's row lock: stock is checked again (a reservation may have taken
the piece since the listing), the alert is claimed with a conditional UPDATE, and the message is
queued in that same transaction, so a redelivered or concurrent run never sends twice. A
customer who opted out gets nothing and the alert closes. The message is proactive and carries
the `back_in_stock` template for outside the 24-hour window; inside it, a "Buy now" button. The
chat remembers the item (`restock_offer.READY_KEY`) so a typed "yes" to the template buys it too.
Messages are sent after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from duka.db.pool import Connection, tenant_transaction, transaction
from duka.logs import log
from duka.orchestrator import restock_offer
from duka.orchestrator.templates import say
from duka.orders import attribution, stock_alerts
from duka.outbound import deliver_pending, queue_reply
from duka.store import consent, conversations
from duka.whatsapp_templates import template_metadata

logger = logging.getLogger(__name__)

MAX_ALERTS = 200


@dataclass
class AlertReport:
    sent: int = 0
    opted_out: int = 0


def run_stock_alerts(max_alerts: int = MAX_ALERTS) -> AlertReport:
    """One pass over every tenant's open alerts whose size has stock again."""
    with transaction() as conn:
        due = conn.execute("SELECT * FROM stock_alerts_due(%s)", (max_alerts,)).fetchall()
    report = AlertReport()
    for row in due:
        business_id = str(row["business_id"])
        outcome = _handle(business_id, str(row["alert_id"]))
        if outcome is None:
            continue
        kind, conversation_id = outcome
        setattr(report, kind, getattr(report, kind) + 1)
        if kind == "sent":
            deliver_pending(business_id, conversation_id)
    if due:
        log(logger, logging.INFO, "stock alerts handled", due=len(due), **vars(report))
    return report


def _handle(business_id: str, alert_id: str) -> tuple[str, str] | None:
    """('sent' or 'opted_out', the conversation), or None: another run got there first, or the
    piece was taken again before this run looked."""
    with tenant_transaction(business_id) as conn:
        alert = stock_alerts.lock_open(conn, alert_id)
        if alert is None:
            return None
        product_id, size = str(alert["product_id"]), alert["size"]
        if not stock_alerts.available(conn, product_id, size):
            return None
        conversation_id = str(alert["conversation_id"])
        if consent.opted_out(conn, business_id, str(alert["customer_phone"])):
            stock_alerts.close_unsent(conn, alert_id)  # proactive: never after STOP
            return "opted_out", conversation_id
        if not stock_alerts.claim(conn, alert_id):
            return None
        _queue(conn, business_id, alert)
        return "sent", conversation_id


def _queue(conn: Connection, business_id: str, alert: dict[str, Any]) -> None:
    conversation_id = str(alert["conversation_id"])
    product = conn.execute(
        "SELECT p.name, b.name AS shop FROM products p JOIN businesses b ON b.id = p.business_id"
        " WHERE p.id = %s",
        (alert["product_id"],),
    ).fetchone()
    assert product is not None  # stock_alerts.available read it in this transaction
    language = conversations.reply_language(conn, conversation_id)
    item = str(product["name"]) + (f" (size {alert['size']})" if alert["size"] else "")
    text = say("back_in_stock", language, item=item, shop=str(product["shop"]))
    buttons = restock_offer.buy_buttons(str(alert["product_id"]), alert["size"], language)
    queue_reply(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        text=text,
        metadata={
            "kind": "back_in_stock",
            "proactive": True,
            "stock_alert_id": str(alert["id"]),
            "template": template_metadata("back_in_stock", {"1": item, "2": str(product["shop"])}),
            "interactive": buttons.to_metadata(text),
        },
    )
    restock_offer.remember_ready(conn, conversation_id, str(alert["product_id"]), alert["size"])
    attribution.record_touch(
        conn,
        business_id=business_id,
        customer_phone=str(alert["customer_phone"]),
        kind="back_in_stock",
        ref=str(alert["id"]),
    )
