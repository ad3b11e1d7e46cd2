"""The shop's privacy notice and retention setting (`businesses.settings["privacy"]`), and the
public links the customer is sent: the notice, and her data's download page.

The owner may replace the notice's text in Settings; until she does, the default below is
filled with the shop's name, contact and retention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from duka.config import get_settings

DEFAULT_RETENTION_MONTHS = 12
MIN_RETENTION_MONTHS, MAX_RETENTION_MONTHS = 1, 120
MAX_NOTICE_CHARS = 6000

DEFAULT_NOTICE = "\n\n".join(
    (
        "{shop} sells to you on WhatsApp with the help of an automated assistant. This notice "
        "explains what we keep about you and why, as the Kenya Data Protection Act, 2019 "
        "requires.",
        "What we collect: your WhatsApp number and name, the messages, photos and voice notes you"
        " send us, your orders and delivery address, M-Pesa payment details (receipt, amount, the"
        " paying number), and the sizes and styles you buy, so we can suggest what fits.",
        "Why: to answer your questions, show you our stock, take and deliver your orders, confirm"
        " your payments and keep the records the law requires for sales. We do not sell your "
        "data. Messages about offers are sent only if you agree, and you can reply STOP at any "
        "time.",
        "How long: chats are deleted after {months} months. Records of what you bought and paid "
        "are kept as accounting records, with your number masked once you ask us to delete your "
        "data.",
        "Your rights: you may ask for a copy of your data, have it corrected, or have it deleted."
        ' Write "send me my data" or "delete my data" (or "nataka data yangu", "futa data yangu")'
        " in this chat: you get a download link at once, or your data is deleted after you "
        "confirm. You can also ask the shop directly. You may complain to the Office of the Data "
        "Protection Commissioner (www.odpc.go.ke).",
        "Contact: {shop}, {contact}.",
    )
)


@dataclass
class PrivacySettings:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def retention_months(settings: dict[str, Any]) -> int:
    months = (settings.get("privacy") or {}).get("retention_months")
    return int(months) if isinstance(months, int) else DEFAULT_RETENTION_MONTHS


def default_notice(business: dict[str, Any]) -> str:
    contact = business.get("phone") or business["whatsapp_number"]
    return DEFAULT_NOTICE.format(
        shop=business["name"],
        contact=contact,
        months=retention_months(business.get("settings") or {}),
    )


def notice_text(business: dict[str, Any]) -> str:
    """The owner's own text, or the default one."""
    own = ((business.get("settings") or {}).get("privacy") or {}).get("notice")
    return own if isinstance(own, str) and own.strip() else default_notice(business)


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, for the page (each rendered escaped)."""
    blocks = [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]


def parse_privacy(form: MultiDict[str, str], business: dict[str, Any]) -> PrivacySettings:
    parsed = PrivacySettings()
    raw = form.get("retention_months", "").strip()
    if not raw.isdigit() or not MIN_RETENTION_MONTHS <= int(raw) <= MAX_RETENTION_MONTHS:
        parsed.errors["retention_months"] = (
            f"Keep chats from {MIN_RETENTION_MONTHS} to {MAX_RETENTION_MONTHS} months."
        )
    else:
        parsed.values["retention_months"] = int(raw)
    notice = form.get("notice", "").strip()
    if len(notice) > MAX_NOTICE_CHARS:
        parsed.errors["notice"] = f"The notice is limited to {MAX_NOTICE_CHARS} characters."
    # The default text unchanged is not stored: it keeps following the shop's name and months.
    elif notice and " ".join(notice.split()) != " ".join(default_notice(business).split()):
        parsed.values["notice"] = notice
    return parsed


def notice_url(business_id: str) -> str:
    base = get_settings().dashboard_base_url
    return f"{base}/dashboard/privacy?{urlencode({'shop': business_id})}"


def download_url(business_id: str, token: str) -> str:
    base = get_settings().dashboard_base_url
    return f"{base}/dashboard/my-data?{urlencode({'shop': business_id, 'token': token})}"
