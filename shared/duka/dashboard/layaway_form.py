"""The owner's lipa pole pole (layaway) terms: on/off, least deposit, term, reminder cadence and
what happens to a lapsed plan's deposit. Stored as `businesses.settings["layaway"]`, read by
`duka.orders.layaway.terms_for`."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from duka.dashboard.business_settings import Section
from duka.orders.layaway import POLICIES

POLICY_LABELS = {
    "store_credit": "Kept as store credit for the customer",
    "refund": "Refunded to the customer",
    "keep": "Kept by the shop",
}
LIMITS = {
    "min_deposit_percent": (1, 100, "Least deposit: a percentage from 1 to 100."),
    "term_days": (1, 365, "Term: from 1 to 365 days."),
    "reminder_every_days": (1, 60, "Reminders: every 1 to 60 days."),
}


def parse_layaway(form: MultiDict[str, str]) -> Section:
    section = Section(values={"enabled": form.get("enabled") == "yes"})
    for name, (least, most, problem) in LIMITS.items():
        raw = form.get(name, "").strip()
        if not raw.isdigit() or not least <= int(raw) <= most:
            section.errors[name] = problem
            continue
        section.values[name] = int(raw)
    policy = form.get("deposit_policy", "")
    if policy not in POLICIES:
        section.errors["deposit_policy"] = "Choose what happens to the deposit of a lapsed plan."
    section.values["deposit_policy"] = policy
    return section
