"""Saved replies: short answers the owner keeps ("/hours" -> "We are open 9-7, Mon-Sat") and
inserts in the chat composer by typing "/" (static/app.js), or by picking one without
JavaScript. She edits the inserted text before sending, so nothing is sent on its own.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.db.pool import Connection
from duka.outbound import MAX_WHATSAPP_CHARS

bp = Blueprint("saved_replies", __name__, url_prefix="/dashboard/saved-replies")

SHORTCUT = re.compile(r"^[a-z0-9_-]{1,30}$")


def saved_replies(conn: Connection) -> list[dict[str, Any]]:
    """The boutique's saved replies by shortcut, as the composer and the page list them."""
    return conn.execute("SELECT id, shortcut, body FROM saved_replies ORDER BY shortcut").fetchall()


def parse(shortcut: str, body: str) -> tuple[str, str, dict[str, str]]:
    """The shortcut without its "/" in lower case, the text, and what the owner must fix."""
    shortcut = shortcut.strip().lstrip("/").lower()
    body = body.strip()
    errors = {}
    if not SHORTCUT.match(shortcut):
        errors["shortcut"] = "Use one short word: letters, numbers, - or _ (e.g. hours)."
    if not body:
        errors["body"] = "Type the reply."
    elif len(body) > MAX_WHATSAPP_CHARS:
        errors["body"] = f"WhatsApp messages are at most {MAX_WHATSAPP_CHARS} characters."
    return shortcut, body, errors


@bp.route("")
def index() -> str:
    with owner_transaction() as conn:
        replies = saved_replies(conn)
    return render_template("inbox/saved_replies.html", replies=replies, errors={}, form={})


@bp.route("", methods=["POST"])
def add() -> ResponseReturnValue:
    """Add a reply; a shortcut already kept gets the new text (how she edits one)."""
    shortcut, body, errors = parse(request.form.get("shortcut", ""), request.form.get("body", ""))
    with owner_transaction() as conn:
        if errors:
            page = render_template(
                "inbox/saved_replies.html",
                replies=saved_replies(conn),
                errors=errors,
                form=request.form,
            )
            return page, 422
        conn.execute(
            "INSERT INTO saved_replies (business_id, shortcut, body) VALUES (%s, %s, %s)"
            " ON CONFLICT (business_id, shortcut) DO UPDATE SET body = EXCLUDED.body",
            (current_owner().business_id, shortcut, body),
        )
        audit.record(conn, "saved_reply.added", "saved_reply", f"/{shortcut}")
    flash(f"Saved: type /{shortcut} in a chat to use it.")
    return redirect(url_for(".index"))


@bp.route("/delete", methods=["POST"])
def remove() -> ResponseReturnValue:
    try:
        reply_id = UUID(request.form.get("id", ""))
    except ValueError:
        abort(400)
    with owner_transaction() as conn:
        row = conn.execute(
            "DELETE FROM saved_replies WHERE id = %s RETURNING shortcut", (reply_id,)
        ).fetchone()
        if row is None:
            abort(404)
        audit.record(conn, "saved_reply.removed", "saved_reply", f"/{row['shortcut']}")
    flash(f"Removed /{row['shortcut']}.")
    return redirect(url_for(".index"))
