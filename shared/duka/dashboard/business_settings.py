"""The settings forms: each section checked and turned into what `businesses` stores.

`settings["agent"]` = {"tone", "greeting", "languages", "sign_off"} is read by the agent;
`settings["payment"]` = {"gateway", "own_credentials"}: whether the boutique collects into its own
account, whose keys an operator keeps in the secret named after the business (never typed here);
`settings["delivery"]["zones"]` = [{name, areas, fee_kes, days, pay_on_delivery}] prices
delivery and says where the customer may pay when the parcel arrives (duka/delivery/zones.py);
`settings["shop"]` holds what the agent answers about the shop (orchestrator/shop_flow.py):
directions, delivery_times, pickup / pay_on_delivery (true, false or null = not said),
pickup_where, returns, till, paybill, paybill_account, pochi.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from duka.dashboard.formatting import when
from duka.delivery.zones import Zone, key_of
from duka.orders.gateway_choice import boutique_secret_name, uses_own_credentials
from duka.payments.base import GatewayConfigError
from duka.phone import InvalidPhoneNumber, normalize_kenyan_phone

TONES = {
    "warm": "Warm and friendly",
    "professional": "Polite and professional",
    "playful": "Playful, with emojis",
    "elegant": "Elegant and calm",
}
LANGUAGES = {"en": "English", "sw": "Swahili", "sheng": "Sheng"}
GATEWAYS = {"paylink": "PayLink", "daraja": "M-Pesa Daraja (direct)"}
# Why a payment prompt was not sent (payment_attempts.failure_reason), in the owner's words.
_PROMPT_PROBLEMS = {
    "gateway_misconfigured": "the credentials are missing or were refused",
    "gateway_unavailable": "the payment gateway could not be reached",
    "gateway_declined": "the payment gateway refused the request",
}
MAX_GREETING = 300
MAX_SIGN_OFF = 80
MAX_SHOP_TEXT = 500


@dataclass
class Section:
    """One checked form: the values to store, or errors by field name."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def parse_profile(form: MultiDict[str, str]) -> Section:
    section = Section()
    name = " ".join(form.get("name", "").split())
    if not name:
        section.errors["name"] = "Your boutique needs a name."
    try:
        phone = normalize_kenyan_phone(form.get("phone", ""))
    except InvalidPhoneNumber as exc:
        section.errors["phone"] = str(exc)
        phone = form.get("phone", "")
    section.values = {
        "name": name[:120],
        "phone": phone,
        "profile": {
            key: form.get(key, "").strip()[:500] for key in ("location", "description", "hours")
        },
    }
    return section


def parse_payment(form: MultiDict[str, str]) -> Section:
    section = Section()
    gateway = form.get("gateway", "")
    if gateway not in GATEWAYS:
        section.errors["gateway"] = "Choose how customers pay."
    section.values = {"gateway": gateway, "own_credentials": form.get("own_credentials") == "yes"}
    return section


def parse_delivery(form: MultiDict[str, str]) -> Section:
    """The zones form: a row per zone (name, areas separated by commas, fee, days, whether it
    takes pay on delivery); a row with every field empty is left out, and an area may belong to
    one zone only. A form without the pay-on-delivery choices keeps each zone's shop-wide one."""
    section = Section()
    zones: list[dict[str, Any]] = []
    owner: dict[str, str] = {}
    names = form.getlist("zone_name")
    choices = form.getlist("zone_pod")
    rows = zip(
        names,
        form.getlist("zone_areas"),
        form.getlist("zone_fee"),
        form.getlist("zone_days"),
        choices + [""] * (len(names) - len(choices)),
        strict=False,
    )
    for raw_name, raw_areas, raw_fee, raw_days, raw_pod in rows:
        name = " ".join(raw_name.split())[:60]
        areas = tuple(dict.fromkeys(" ".join(a.split())[:60] for a in raw_areas.split(",")))
        areas = tuple(a for a in areas if a)
        fee = raw_fee.replace(",", "").strip()
        if not (name or areas or fee or raw_days.strip()):
            continue
        if not name:
            section.errors["zones"] = "Give every zone a name."
            continue
        if not fee.isdigit():
            section.errors["zones"] = f"The fee for {name} must be a whole number of shillings."
            continue
        if raw_pod not in ("", "yes", "no"):
            section.errors["zones"] = f"Choose whether {name} takes pay on delivery: yes or no."
            continue
        for area in (name, *areas):
            other = owner.setdefault(key_of(area), name)
            if other != name:
                section.errors["zones"] = f"{area} is in both {other} and {name}: keep it in one."
        saved = Zone(name, areas, int(fee), " ".join(raw_days.split())[:40]).to_settings()
        if raw_pod:
            saved["pay_on_delivery"] = raw_pod == "yes"
        else:  # not on the form: the zone keeps taking the shop-wide answer
            del saved["pay_on_delivery"]
        zones.append(saved)
    section.values = {"zones": zones}
    return section


def _yes_no(value: str) -> bool | None:
    """A select of "yes", "no" or "" (not said: the agent asks the owner)."""
    return {"yes": True, "no": False}.get(value)


def _short_code(form: MultiDict[str, str], name: str, label: str, section: Section) -> str:
    code = "".join(form.get(name, "").split())
    if code and not (code.isdigit() and 5 <= len(code) <= 7):
        section.errors[name] = f"A {label} number has 5 to 7 digits."
    return code


def parse_shop(form: MultiDict[str, str]) -> Section:
    section = Section()
    text = {
        key: form.get(key, "").strip()[:MAX_SHOP_TEXT]
        for key in ("directions", "delivery_times", "pickup_where", "returns", "paybill_account")
    }
    till = _short_code(form, "till", "Till", section)
    paybill = _short_code(form, "paybill", "Paybill", section)
    if text["paybill_account"] and not paybill:
        section.errors["paybill"] = "Add the Paybill number the account belongs to."
    pochi = form.get("pochi", "").strip()
    if pochi:
        try:
            pochi = normalize_kenyan_phone(pochi)
        except InvalidPhoneNumber as exc:
            section.errors["pochi"] = str(exc)
    section.values = {
        **text,
        "pickup": _yes_no(form.get("pickup", "")),
        "pay_on_delivery": _yes_no(form.get("pay_on_delivery", "")),
        "till": till,
        "paybill": paybill,
        "pochi": pochi,
    }
    return section


def parse_agent(form: MultiDict[str, str]) -> Section:
    section = Section()
    tone = form.get("tone", "")
    languages = [code for code in form.getlist("languages") if code in LANGUAGES]
    greeting = form.get("greeting", "").strip()
    sign_off = form.get("sign_off", "").strip()
    if tone not in TONES:
        section.errors["tone"] = "Choose a tone."
    if not languages:
        section.errors["languages"] = "Choose at least one language."
    if len(greeting) > MAX_GREETING:
        section.errors["greeting"] = f"Keep the greeting under {MAX_GREETING} characters."
    if len(sign_off) > MAX_SIGN_OFF:
        section.errors["sign_off"] = f"Keep the sign-off under {MAX_SIGN_OFF} characters."
    section.values = {
        "tone": tone,
        "greeting": greeting,
        "languages": languages,
        "sign_off": sign_off,
    }
    return section


def credentials_status(
    business_id: str, payment: dict[str, Any], last_attempt: dict[str, Any] | None
) -> str:
    """Whose account collects and how the last prompt went, from the database alone: the
    dashboard may not read any boutique's credentials."""
    gateway = str(payment.get("gateway") or "paylink")
    label = GATEWAYS.get(gateway, gateway)
    try:
        own = uses_own_credentials(business_id, {"payment": payment}, gateway)
    except GatewayConfigError:
        return "The saved credentials secret is another boutique's and is refused: save this form."
    if own:
        account = (
            f"Your own {label} account: Duka's operator keeps its keys in the secret "
            f"{boutique_secret_name(business_id, gateway)}."
        )
    else:
        account = f"Payments are collected through Duka's {label} account."
    if last_attempt is None:
        return f"{account} No payment prompt sent yet."
    sent = when(last_attempt["created_at"])
    problem = _PROMPT_PROBLEMS.get(str(last_attempt["failure_reason"]))
    if problem:
        return f"{account} The last payment prompt ({sent}) was not sent: {problem}."
    return f"{account} The last payment prompt ({sent}) was sent ✓"
