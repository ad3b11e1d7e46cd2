"""Twilio Content resources by friendly name: the WhatsApp templates and the interactive messages
(list picker, quick reply), created at Twilio once and their ContentSid kept in
`whatsapp_contents` (migration 016) for this deployment's Twilio account.

An interactive message is created on demand, named after a hash of its structure, so the same
list sent again reuses its resource. A template is normally registered ahead by
`duka whatsapp templates sync` (which also asks WhatsApp to approve it); one still missing at
send time is registered then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from duka.config import get_settings
from duka.db.pool import Connection
from duka.logs import log
from duka.whatsapp import content_api, twilio_errors
from duka.whatsapp_templates import TEMPLATES, Template, digest

logger = logging.getLogger(__name__)

INTERACTIVE_PREFIX = "duka_interactive_"


@dataclass(frozen=True)
class ContentMessage:
    """What to send: a Content resource with its variables, and the text it reads as."""

    content_sid: str
    variables: dict[str, str]
    text: str  # what Twilio records as the message's body


def template_message(
    conn: Connection,
    name: str,
    variables: dict[str, str],
    language: str | None,
    *,
    refresh: bool = False,
) -> ContentMessage:
    """The template `name` in `language` (or its first language), registered if it is not;
    `refresh`: registered again (Twilio no longer holds the recorded one)."""
    template = TEMPLATES[name]
    lang = template.language_for(language)
    definition = template.definition(lang)
    sid = None if refresh else _recorded(conn, template.friendly_name(lang), digest(definition))
    if sid is None:
        sid, _ = register_template(conn, template, lang, existing=None)
    return ContentMessage(sid, dict(variables), template.render(lang, variables))


def interactive_message(
    conn: Connection, interactive: dict[str, Any], language: str, *, refresh: bool = False
) -> ContentMessage:
    """A list picker or quick reply for `metadata["interactive"]`, created once per structure.

    Raises SendRejected when Twilio refuses it (e.g. over its limits), SendFailedTransient when
    Twilio cannot be reached.
    """
    types = interactive_types(interactive)
    definition = {"language": language, "variables": {}, "types": types}
    fingerprint = digest(definition)
    name = INTERACTIVE_PREFIX + fingerprint[:32]
    sid = None if refresh else _recorded(conn, name, fingerprint)
    if sid is None:  # also when Twilio no longer holds the recorded one (`refresh`)
        sid = _create({**definition, "friendly_name": name})
        _record(conn, name, sid, "interactive", fingerprint)
    return ContentMessage(sid, {}, str(interactive["body"]))


def interactive_types(interactive: dict[str, Any]) -> dict[str, Any]:
    """The Content API types of the shared contract's `metadata["interactive"]`."""
    items = interactive["items"]
    if interactive["kind"] == "buttons":
        actions = [{"type": "QUICK_REPLY", "title": i["title"], "id": i["id"]} for i in items]
        return {"twilio/quick-reply": {"body": interactive["body"], "actions": actions}}
    return {
        "twilio/list-picker": {
            "body": interactive["body"],
            "button": interactive["button"],
            "items": [
                {"id": i["id"], "item": i["title"], "description": i.get("description") or ""}
                for i in items
            ],
        }
    }


def register_template(
    conn: Connection, template: Template, language: str, existing: dict[str, Any] | None
) -> tuple[str, str]:
    """Create (or, when its definition changed, update) one template at Twilio, submit it for
    WhatsApp's approval and record its ContentSid. Returns (sid, "created"|"updated"|"kept")."""
    definition = template.definition(language)
    fingerprint = digest(definition)
    if existing is None:
        sid, action = _create(definition), "created"
    elif _same(existing, definition):
        sid, action = str(existing["sid"]), "kept"
    else:
        sid, action = _update(str(existing["sid"]), definition), "updated"
    if action != "kept" or not _approval_submitted(sid):
        _submit_for_approval(sid, template, language)
    _record(conn, template.friendly_name(language), sid, "template", fingerprint)
    return sid, action


def sync_templates(conn: Connection) -> list[tuple[str, str, str]]:
    """Every template in every language, idempotently by friendly name against what Twilio
    already holds: [(friendly name, ContentSid, "created"|"updated"|"kept")]."""
    with twilio_errors("listing contents"):
        held = {c.friendly_name: _as_dict(c) for c in content_api().list(page_size=200)}
    done = []
    for template in TEMPLATES.values():
        for language in template.languages:
            name = template.friendly_name(language)
            sid, action = register_template(conn, template, language, held.get(name))
            done.append((name, sid, action))
    return done


def _same(existing: dict[str, Any], definition: dict[str, Any]) -> bool:
    return (
        existing["language"] == definition["language"]
        and (existing["variables"] or {}) == definition["variables"]
        and _clean(existing["types"]) == _clean(definition["types"])
    )


def _clean(value: Any) -> Any:
    """Drop the nulls the SDK sends for every field not set, so definitions compare."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _as_dict(content: Any) -> dict[str, Any]:
    return {
        "sid": content.sid,
        "language": content.language,
        "variables": content.variables,
        "types": content.types,
    }


def _create(definition: dict[str, Any]) -> str:
    from twilio.rest.content.v1.content import ContentList

    with twilio_errors("creating content"):
        created = content_api().create(ContentList.ContentCreateRequest(definition))
    log(logger, logging.INFO, "content created", friendly_name=definition.get("friendly_name"))
    return str(created.sid)


def _update(sid: str, definition: dict[str, Any]) -> str:
    from twilio.rest.content.v1.content import ContentContext

    with twilio_errors("updating content"):
        content_api()(sid).update(ContentContext.ContentUpdateRequest(definition))
    return sid


def _approval_submitted(sid: str) -> bool:
    with twilio_errors("fetching approval"):
        approval = content_api()(sid).approval_fetch().fetch()
    status = (approval.whatsapp or {}).get("status")
    return status not in (None, "unsubmitted", "rejected")


def _submit_for_approval(sid: str, template: Template, language: str) -> None:
    from twilio.rest.content.v1.content.approval_create import ApprovalCreateList

    request = ApprovalCreateList.ContentApprovalRequest(
        {"name": template.friendly_name(language), "category": template.category}
    )
    with twilio_errors("asking WhatsApp to approve a template"):
        content_api()(sid).approval_create.create(request)


def _recorded(conn: Connection, friendly_name: str, fingerprint: str) -> str | None:
    row = conn.execute(
        "SELECT content_sid FROM whatsapp_contents"
        " WHERE account_sid = %s AND friendly_name = %s AND digest = %s",
        (get_settings().twilio_account_sid, friendly_name, fingerprint),
    ).fetchone()
    return str(row["content_sid"]) if row else None


def _record(conn: Connection, friendly_name: str, sid: str, kind: str, fingerprint: str) -> None:
    conn.execute(
        "SELECT whatsapp_content_record(%s, %s, %s, %s, %s)",
        (get_settings().twilio_account_sid, friendly_name, sid, kind, fingerprint),
    )
