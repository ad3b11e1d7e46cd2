"""How numbers, times and statuses read on the owner's screen (Kenyan shillings, Nairobi time)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask

NAIROBI = ZoneInfo("Africa/Nairobi")

PAYMENT_LABELS = {
    "pending": "Awaiting payment",
    "paid": "Paid",
    "failed": "Payment failed",
    "cancelled": "Cancelled",
    "expired": "Expired",
    "layaway": "Lipa pole pole",
    "lapsed": "Layaway lapsed",
}
FULFILMENT_LABELS = {"pending": "Not shipped", "shipped": "Shipped", "delivered": "Delivered"}


def kes(amount: Decimal | int | float | None) -> str:
    value = Decimal(str(amount or 0))
    if value == value.to_integral_value():
        return f"KES {value:,.0f}"
    return f"KES {value:,.2f}"


def local_time(moment: datetime | None) -> datetime | None:
    return moment.astimezone(NAIROBI) if moment else None


def when(moment: datetime | None, now: datetime | None = None) -> str:
    """ "14:05" today, "Yesterday 14:05", "Mon 14:05" this week, else "12 Mar 2025"."""
    if moment is None:
        return "—"
    local = moment.astimezone(NAIROBI)
    today = (now or datetime.now(NAIROBI)).astimezone(NAIROBI).date()
    days = (today - local.date()).days
    if days == 0:
        return local.strftime("%H:%M")
    if days == 1:
        return "Yesterday " + local.strftime("%H:%M")
    if 1 < days < 7:
        return local.strftime("%a %H:%M")
    return f"{local.day} {local.strftime('%b %Y')}"


def phone(number: str | None) -> str:
    """+254712345678 → +254 712 345 678."""
    if not number or not number.startswith("+254") or len(number) != 13:
        return number or ""
    return f"+254 {number[4:7]} {number[7:10]} {number[10:]}"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def init_formatting(app: Flask) -> None:
    app.jinja_env.filters.update(kes=kes, when=when, phone=phone, percent=percent)
    app.jinja_env.globals.update(PAYMENT_LABELS=PAYMENT_LABELS, FULFILMENT_LABELS=FULFILMENT_LABELS)
