"""The Twilio sandbox's Content API: content resources (`HX…`), their WhatsApp approval, and how
a message sent with a ContentSid reads once its variables are filled in.

Wire format as content.twilio.com/v1 speaks it: JSON bodies with `friendly_name`, `language`,
`variables` and `types` keyed by content type ("twilio/text", "twilio/quick-reply",
"twilio/list-picker", "twilio/call-to-action", "twilio/card", "whatsapp/authentication"); the
twilio SDK also
sends every type it knows with a null value, which means "not this type".
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

SUPPORTED_TYPES = (
    "twilio/text",
    "twilio/quick-reply",
    "twilio/list-picker",
    "twilio/call-to-action",
    "twilio/card",
    "whatsapp/authentication",
)
# Types WhatsApp never approves: they can only be sent inside the customer's 24-hour window.
SESSION_ONLY_TYPES = {"twilio/list-picker"}
_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class ContentError(ValueError):
    """A request Twilio would refuse with a 400 and this error code."""

    def __init__(self, message: str, code: int = 20001) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Content:
    sid: str
    account_sid: str
    friendly_name: str
    language: str
    variables: dict[str, str]
    types: dict[str, Any]
    created: float
    updated: float
    approval: dict[str, Any] | None = None  # WhatsApp's approval request, once submitted

    def resource(self, base_url: str) -> dict[str, Any]:
        url = f"{base_url}/v1/Content/{self.sid}"
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "friendly_name": self.friendly_name,
            "language": self.language,
            "variables": self.variables,
            "types": self.types,
            "url": url,
            "date_created": _iso(self.created),
            "date_updated": _iso(self.updated),
            "links": {
                "approval_create": f"{url}/ApprovalRequests/whatsapp",
                "approval_fetch": f"{url}/ApprovalRequests",
            },
        }

    @property
    def approved(self) -> bool:
        return self.approval is not None and self.approval["status"] == "approved"

    @property
    def session_only(self) -> bool:
        return not self.approved or bool(SESSION_ONLY_TYPES & set(self.types))

    def options(self) -> list[dict[str, str]]:
        """A list's items or the quick-reply buttons: {id, title, description} each (what the
        phone shows besides the text; the sandbox keeps them on the message for simulators)."""
        if "twilio/list-picker" in self.types:
            items = self.types["twilio/list-picker"]["items"]
            return [
                {"id": i["id"], "title": i["item"], "description": i.get("description") or ""}
                for i in items
            ]
        if "twilio/quick-reply" in self.types:
            actions = self.types["twilio/quick-reply"]["actions"]
            return [{"id": a["id"], "title": a["title"], "description": ""} for a in actions]
        if "twilio/card" in self.types:
            actions = self.types["twilio/card"].get("actions") or []
            return [
                {"id": a["id"], "title": a["title"], "description": ""}
                for a in actions
                if a.get("type") == "QUICK_REPLY"
            ]
        return []

    def media(self, values: dict[str, str]) -> list[str]:
        """A card's photo URLs, variables filled in: the media the message carries."""
        card = self.types.get("twilio/card") or {}
        merged = {**self.variables, **values}
        return [
            _VARIABLE.sub(lambda m: str(merged.get(m.group(1), m.group(0))), url)
            for url in card.get("media") or []
        ]

    def render(self, values: dict[str, str]) -> str:
        """The message's text as Twilio records it: the body with variables filled in
        (send-time values, else the defaults); a list's or buttons' options are not part of it."""
        merged = {**self.variables, **values}

        def fill(text: str) -> str:
            return _VARIABLE.sub(lambda m: str(merged.get(m.group(1), m.group(0))), text)

        if "whatsapp/authentication" in self.types:
            auth = self.types["whatsapp/authentication"]
            lines = [fill("{{1}} is your verification code.")]
            if auth.get("add_security_recommendation", True):
                lines[0] += " For your security, do not share this code."
            if auth.get("code_expiration_minutes"):
                lines.append(f"This code expires in {auth['code_expiration_minutes']} minutes.")
            return "\n".join(lines)
        if "twilio/card" in self.types:  # the title (and subtitle) is what Twilio records
            card = self.types["twilio/card"]
            return fill("\n".join(p for p in (card.get("title"), card.get("subtitle")) if p))
        kind = next(t for t in SUPPORTED_TYPES if t in self.types)
        return fill(self.types[kind].get("body", ""))


def parse_content(payload: dict[str, Any]) -> tuple[str, str, dict[str, str], dict[str, Any]]:
    """friendly_name, language, variables and the non-null types of a create/update body."""
    types = {k: v for k, v in (payload.get("types") or {}).items() if v is not None}
    if not types:
        raise ContentError("types is required")
    unknown = set(types) - set(SUPPORTED_TYPES)
    if unknown:
        raise ContentError(f"content type not supported by the sandbox: {sorted(unknown)}")
    for kind, spec in types.items():
        _check_type(kind, spec)
    language = str(payload.get("language") or "")
    if not language:
        raise ContentError("language is required")
    variables = {str(k): str(v) for k, v in (payload.get("variables") or {}).items()}
    return str(payload.get("friendly_name") or ""), language, variables, types


def _check_type(kind: str, spec: dict[str, Any]) -> None:
    """Twilio's documented limits for the types the sandbox speaks."""
    if kind == "twilio/list-picker":
        items = spec.get("items") or []
        _require(1 <= len(items) <= 10, "list-picker takes 1 to 10 items")
        _require(bool(spec.get("button")), "list-picker needs a button")
        for item in items:
            _require(0 < len(item.get("item") or "") <= 24, "list item titles: 1-24 chars")
            _require(0 < len(item.get("id") or "") <= 200, "list item ids: 1-200 chars")
            _require(len(item.get("description") or "") <= 72, "list item descriptions: ≤ 72")
    elif kind == "twilio/quick-reply":
        actions = spec.get("actions") or []
        _require(1 <= len(actions) <= 5, "quick-reply takes 1 to 5 actions")
        for action in actions:
            _require(0 < len(action.get("title") or "") <= 20, "button titles: 1-20 chars")
            _require(0 < len(action.get("id") or "") <= 200, "button ids: 1-200 chars")
    elif kind == "whatsapp/authentication":
        actions = spec.get("actions") or []
        _require(
            any(a.get("type") == "COPY_CODE" for a in actions), "authentication needs COPY_CODE"
        )
    elif kind == "twilio/card":
        _check_card(spec)
        return
    if kind != "whatsapp/authentication":
        _require(0 < len(spec.get("body") or "") <= 1024, f"{kind} body: 1-1024 chars")


def _check_card(spec: dict[str, Any]) -> None:
    """A card: a title (≤ 1,024) and at least one more field; subtitle ≤ 60; one photo; at most
    ten buttons (quick-reply titles ≤ 20, as for quick-reply content)."""
    title, subtitle = spec.get("title") or "", spec.get("subtitle") or ""
    media, actions = spec.get("media") or [], spec.get("actions") or []
    _require(0 < len(title) <= 1024, "twilio/card title: 1-1024 chars")
    _require(bool(subtitle or media or actions), "twilio/card needs a field besides its title")
    _require(len(subtitle) <= 60, "twilio/card subtitle: ≤ 60 chars")
    _require(len(media) <= 1, "twilio/card takes one media URL")
    _require(len(actions) <= 10, "twilio/card takes at most 10 actions")
    for action in actions:
        _require(0 < len(action.get("title") or "") <= 20, "button titles: 1-20 chars")
        if action.get("type") == "QUICK_REPLY":
            _require(0 < len(action.get("id") or "") <= 200, "button ids: 1-200 chars")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ContentError(message)


def new_content(
    account_sid: str,
    friendly_name: str,
    language: str,
    variables: dict[str, str],
    types: dict[str, Any],
) -> Content:
    now = time.time()
    return Content(
        sid="HX" + secrets.token_hex(16),
        account_sid=account_sid,
        friendly_name=friendly_name,
        language=language,
        variables=variables,
        types=types,
        created=now,
        updated=now,
    )


def approve(content: Content, payload: dict[str, Any]) -> dict[str, Any]:
    """WhatsApp's answer to an approval request; the sandbox approves what WhatsApp would."""
    category = str(payload.get("category") or "")
    if not payload.get("name") or category not in ("UTILITY", "MARKETING", "AUTHENTICATION"):
        raise ContentError("name and a category (UTILITY, MARKETING, AUTHENTICATION) are required")
    if SESSION_ONLY_TYPES & set(content.types):
        raise ContentError("list-picker content can't be submitted for approval")
    content.approval = {
        "name": payload["name"],
        "category": category,
        "content_type": next(iter(content.types)),
        "status": "approved",
        "rejection_reason": "",
        "allow_category_change": True,
    }
    return content.approval


def parse_variables(raw: str) -> dict[str, str]:
    """ContentVariables: a JSON object of strings, as the Messages API takes it."""
    if not raw:
        return {}
    try:
        values = json.loads(raw)
    except ValueError as exc:
        raise ContentError("ContentVariables is not valid JSON", 21656) from exc
    if not isinstance(values, dict):
        raise ContentError("ContentVariables must be a JSON object", 21656)
    return {str(k): str(v) for k, v in values.items()}


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
