"""The settings forms: each section checked and turned into what `businesses` stores.

`settings["agent"]` = {"tone", "greeting", "languages", "sign_off"} is read by the agent;
`settings["payment"]` = {"gateway", "credentials_secret"} names a secret, never holds one;
`settings["delivery"]["fees"]` = {area or zone: KES} prices delivery (see duka.orders.delivery).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from duka.orders.delivery import DEFAULT_FEES
from duka.payments.gateway import DarajaConfig, GatewayConfigError, PayLinkConfig
from duka.phone import InvalidPhoneNumber, normalize_kenyan_phone
from duka.secrets import SecretNotFound, SecretStoreUnavailable, get_secret_store

TONES = {
    "warm": "Warm and friendly",
    "professional": "Polite and professional",
    "playful": "Playful, with emojis",
    "elegant": "Elegant and calm",
}
LANGUAGES = {"en": "English", "sw": "Swahili", "sheng": "Sheng"}
GATEWAYS = {"paylink": "PayLink", "daraja": "M-Pesa Daraja (direct)"}
_SECRET_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")  # Secret Manager's rule for secret ids
MAX_GREETING = 300
MAX_SIGN_OFF = 80


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
    secret = form.get("credentials_secret", "").strip()
    if gateway not in GATEWAYS:
        section.errors["gateway"] = "Choose how customers pay."
    if secret and not _SECRET_NAME.fullmatch(secret):
        section.errors["credentials_secret"] = "Use letters, digits, - and _ only."
    section.values = {"gateway": gateway, "credentials_secret": secret}
    return section


def parse_delivery(form: MultiDict[str, str]) -> Section:
    section = Section()
    fees: dict[str, int] = {}
    for area, fee in zip(form.getlist("area"), form.getlist("fee"), strict=False):
        area = " ".join(area.split())
        if not area:
            continue
        try:
            amount = int(fee.replace(",", "").strip())
        except ValueError:
            amount = -1
        if amount < 0:
            section.errors["fees"] = f"The fee for {area} must be a whole number of shillings."
        fees[area] = amount
    section.values = {"fees": fees}
    return section


def delivery_rows(delivery: dict[str, Any]) -> dict[str, int]:
    """The fees to show: the standard zones (unless the owner renamed or repriced them) first."""
    fees = {str(k): int(v) for k, v in (delivery.get("fees") or {}).items()}
    typed = {" ".join(k.lower().split()) for k in fees}
    zones = {
        ("CBD" if zone == "cbd" else zone.title()): fee
        for zone, fee in DEFAULT_FEES.items()
        if zone not in typed
    }
    return {**zones, **fees}


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


def credentials_status(payment: dict[str, Any]) -> str:
    """Whether the named secret is usable: found and complete, or what is wrong (no values)."""
    name = payment.get("credentials_secret")
    if not name:
        return "No credentials named yet."
    try:
        raw = get_secret_store().get(name)
    except SecretNotFound:
        return f"Secret {name} was not found."
    except SecretStoreUnavailable:
        return "Couldn't check the secret just now."
    try:
        values = json.loads(raw)
        config = DarajaConfig if payment.get("gateway") == "daraja" else PayLinkConfig
        config.from_env({str(k): str(v) for k, v in dict(values).items()})
    except GatewayConfigError as exc:
        return f"Secret {name} is incomplete: {exc}."
    except (ValueError, TypeError):
        return f"Secret {name} is not a JSON object of credentials."
    return f"Secret {name} found and complete ✓"
