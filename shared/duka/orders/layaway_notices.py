"""What a layaway customer is told: each payment received with the balance and due date, the
cadence's reminders, and the end of an unpaid term. Amounts come from the ledger; outside the
24-hour window each goes as its approved template."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from duka.db.pool import Connection
from duka.orders import layaway, store
from duka.payments.daraja import NAIROBI
from duka.whatsapp_templates import template_metadata

_TEXT: dict[str, dict[str, str]] = {
    "layaway": {
        "en": "✅ Received {paid} for your lipa pole pole order. Paid so far: {received} of "
        "{total}. Balance: {balance}, due by {due}. Your items are held for you until then. "
        'Reply e.g. "pay 1000" or "pay balance" to pay more.',
        "sw": "✅ Tumepokea {paid} kwa oda yako ya lipa pole pole. Umelipa {received} kati ya "
        "{total}. Salio: {balance}, kufikia {due}. Bidhaa zako zimehifadhiwa hadi wakati huo. "
        'Jibu mfano "nilipe 1000" au "lipa salio" kulipa zaidi.',
    },
    "reminder": {
        "en": "⏰ Reminder from {shop}: your lipa pole pole order ({items}) has a balance of "
        '{balance}, due by {due}. Reply e.g. "pay 1000" or "pay balance" and I\'ll send an '
        "M-Pesa prompt.",
        "sw": "⏰ Kumbusho kutoka {shop}: oda yako ya lipa pole pole ({items}) ina salio la "
        '{balance}, kufikia {due}. Jibu mfano "nilipe 1000" au "lipa salio" nikutumie ombi '
        "la M-Pesa.",
    },
    "lapsed": {
        "en": "⌛ The lipa pole pole term for your order of {total} ended on {due} with {balance} "
        "still unpaid, so the items are back on the shelf. The shop will contact you about "
        "the {received} you paid.",
        "sw": "⌛ Muda wa lipa pole pole wa oda yako ya {total} uliisha {due} ikiwa na salio la "
        "{balance}, kwa hivyo bidhaa zimerudishwa dukani. Duka litawasiliana nawe kuhusu "
        "{received} ulizolipa.",
    },
}


def kes(amount: Decimal | int) -> str:
    return f"KES {Decimal(amount):,.0f}"


def due_date(moment: datetime) -> str:
    return moment.astimezone(NAIROBI).strftime("%d/%m/%Y")


def notice_state(conn: Connection, order: Mapping[str, Any]) -> str | None:
    """A running plan's notice state: one per payment received, so each is told once."""
    if order["status"] != "layaway" or order["flagged"]:
        return None
    row = conn.execute(
        "SELECT count(*) AS n FROM payments WHERE order_id = %s", (order["id"],)
    ).fetchone()
    return f"layaway:{row['n'] if row else 0}"


def _last_payment(conn: Connection, order_id: str) -> Decimal:
    row = conn.execute(
        "SELECT amount FROM payments WHERE order_id = %s ORDER BY created_at DESC LIMIT 1",
        (order_id,),
    ).fetchone()
    return Decimal(row["amount"]) if row else Decimal(0)


def _shop(conn: Connection, order: Mapping[str, Any]) -> str:
    row = conn.execute(
        "SELECT name FROM businesses WHERE id = %s", (order["business_id"],)
    ).fetchone()
    return str(row["name"]) if row else "the shop"


def _items(conn: Connection, order: Mapping[str, Any]) -> str:
    bought = ", ".join(
        f"{i['name']}{' ' + i['size'] if i['size'] else ''} x{i['quantity']}"
        for i in store.order_items(conn, str(order["id"]))
    )
    return bought if len(bought) <= 200 else bought[:199] + "…"


def payment_notice(
    conn: Connection, order: Mapping[str, Any], language: str
) -> tuple[str, dict[str, Any]]:
    """The text and template of "received X, balance Y, due Z"."""
    plan = layaway.plan_of(conn, order)
    paid = _last_payment(conn, plan.order_id)
    due = due_date(plan.due_at)
    text = _TEXT["layaway"][language].format(
        paid=kes(paid),
        received=kes(plan.received),
        total=kes(plan.total),
        balance=kes(plan.balance),
        due=due,
    )
    template = template_metadata(
        "layaway_payment",
        {"1": _shop(conn, order), "2": kes(paid), "3": kes(plan.balance), "4": due},
    )
    return text, template


def reminder(
    conn: Connection, order: Mapping[str, Any], language: str
) -> tuple[str, dict[str, Any]]:
    plan = layaway.plan_of(conn, order)
    shop, items = _shop(conn, order), _items(conn, order)
    text = _TEXT["reminder"][language].format(
        shop=shop, items=items, balance=kes(plan.balance), due=due_date(plan.due_at)
    )
    template = template_metadata(
        "payment_reminder", {"1": shop, "2": items, "3": kes(plan.balance)}
    )
    return text, template


def lapsed(conn: Connection, order: Mapping[str, Any], language: str) -> tuple[str, dict[str, Any]]:
    plan = layaway.plan_of(conn, order)
    text = _TEXT["lapsed"][language].format(
        total=kes(plan.total),
        due=due_date(plan.due_at),
        balance=kes(plan.balance),
        received=kes(plan.received),
    )
    template = template_metadata("payment_expired", {"1": _shop(conn, order), "2": kes(plan.total)})
    return text, template
