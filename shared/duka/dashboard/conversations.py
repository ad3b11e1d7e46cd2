"""Conversations: the thread list, the chat viewer, and takeover (owner replies on WhatsApp)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from duka.dashboard import audit, takeover
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.composer import reply_window, template_offers
from duka.dashboard.saved_replies import saved_replies
from duka.dashboard.send_pending import send_pending_or_flash
from duka.dashboard.timeline import conversation_timeline
from duka.db.pool import Connection
from duka.inbound import publish_inbound
from duka.store import consent
from duka.store.shop_knowledge import open_questions

bp = Blueprint("conversations", __name__, url_prefix="/dashboard/conversations")

CONSENT_KINDS: dict[str, consent.Kind] = {"opt_out": "opt_out", "opt_in": "opt_in"}
CONSENT_RECORDED = {
    "opt_out": "Recorded: no more order updates or offers go to this customer.",
    "opt_in": "Recorded: this customer agreed to order updates and offers.",
}

FILTERS = {
    "all": "TRUE",
    "attention": "(c.status = 'handed_over' OR c.metadata->>'needs_attention' = 'true')",
    "unread": "unread.n > 0",
}


def thread_list(conn: Connection, show: str, query: str) -> list[dict[str, Any]]:
    pattern = f"%{query.strip()}%"
    return conn.execute(
        "SELECT c.id, c.customer_phone, c.customer_name, c.status,"
        " c.metadata->>'needs_attention' = 'true' AS needs_attention,"
        " last.content AS last_content, last.role AS last_role, last.at AS last_at,"
        " last.photo AS last_photo, unread.n AS unread"
        " FROM conversations c"
        " LEFT JOIN LATERAL (SELECT m.content, m.role, m.created_at AS at,"
        "   m.attachments <> '[]' AS photo FROM messages m WHERE m.conversation_id = c.id"
        "   ORDER BY m.created_at DESC, m.id DESC LIMIT 1) last ON true"
        " CROSS JOIN LATERAL (SELECT count(*) AS n FROM messages m"
        "   WHERE m.conversation_id = c.id AND m.role = 'customer'"
        "   AND m.created_at > COALESCE(c.owner_read_at, '-infinity')) unread"
        f" WHERE {FILTERS.get(show, 'TRUE')}"
        " AND (c.customer_phone ILIKE %s OR COALESCE(c.customer_name, '') ILIKE %s)"
        " ORDER BY COALESCE(last.at, c.created_at) DESC LIMIT 200",
        (pattern, pattern),
    ).fetchall()


def _conversation(conn: Connection, conversation_id: UUID) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM conversations WHERE id = %s", (conversation_id,)).fetchone()
    if row is None:
        abort(404)
    return row


@bp.route("")
def index() -> str:
    show = request.args.get("show", "all")
    query = request.args.get("q", "")
    with owner_transaction() as conn:
        threads = thread_list(conn, show, query)
    return render_template("conversations/list.html", threads=threads, show=show, q=query)


@bp.route("/<uuid:conversation_id>")
def thread(conversation_id: UUID) -> str:
    return _render_read(conversation_id, "conversations/thread.html")


@bp.route("/<uuid:conversation_id>/timeline")
def timeline(conversation_id: UUID) -> str:
    """The messages alone: the open thread polls it to show new ones without a reload."""
    return _render_read(conversation_id, "conversations/_timeline.html")


def _render_read(conversation_id: UUID, template: str) -> str:
    """Render the conversation and its timeline, marking it read: the owner has now seen it."""
    with owner_transaction() as conn:
        conversation = _conversation(conn, conversation_id)
        entries = conversation_timeline(conn, str(conversation_id))
        questions = open_questions(conn, str(conversation_id))
        consent_now = consent.current_consent(
            conn, str(conversation["business_id"]), conversation["customer_phone"]
        )
        takeover.mark_read(conn, str(conversation_id))
        replies = saved_replies(conn)
    return render_template(
        template,
        conversation=conversation,
        entries=entries,
        questions=questions,
        consent=consent_now,
        window=reply_window(conversation),
        template_offers=template_offers(conversation),
        saved_replies=replies,
    )


@bp.route("/<uuid:conversation_id>/takeover", methods=["POST"])
def take_over(conversation_id: UUID) -> Response:
    with owner_transaction() as conn:
        if not takeover.take_over(conn, str(conversation_id), current_owner().phone):
            abort(404)
        audit.record(conn, "chat.take_over", "conversation", conversation_id)
    flash("You're answering this chat now. The agent stays quiet until you hand it back.")
    return redirect(url_for(".thread", conversation_id=conversation_id))


@bp.route("/<uuid:conversation_id>/handback", methods=["POST"])
def hand_back(conversation_id: UUID) -> Response:
    owner = current_owner()
    with owner_transaction() as conn:
        unanswered = takeover.hand_back(conn, str(conversation_id))
        if unanswered is not None:
            audit.record(conn, "chat.hand_back", "conversation", conversation_id)
    if unanswered is None:
        abort(404)
    if unanswered:  # the agent answers what came in since the owner's last reply
        publish_inbound(owner.business_id, str(conversation_id), unanswered[-1])
    flash("The agent is answering this chat again.")
    return redirect(url_for(".thread", conversation_id=conversation_id))


@bp.route("/<uuid:conversation_id>/reply", methods=["POST"])
def reply(conversation_id: UUID) -> Response:
    owner = current_owner()
    try:
        with owner_transaction() as conn:
            if request.form.get("template"):  # the window has closed: a template, not text
                stored = takeover.store_owner_template(
                    conn,
                    owner.business_id,
                    str(conversation_id),
                    request.form["template"],
                    {k.removeprefix("var_"): v for k, v in request.form.items() if k[:4] == "var_"},
                    owner.phone,
                )
            else:
                stored = takeover.store_owner_reply(
                    conn,
                    owner.business_id,
                    str(conversation_id),
                    request.form.get("text", ""),
                    owner.phone,
                )
            if stored is not None:
                audit.record(
                    conn,
                    "chat.reply",
                    "conversation",
                    conversation_id,
                    template=request.form.get("template") or None,
                )
    except (takeover.NotTakenOver, takeover.ReplyInvalid) as exc:
        flash(str(exc), "error")
        return redirect(url_for(".thread", conversation_id=conversation_id))
    if stored is None:
        abort(404)
    _deliver(owner.business_id, str(conversation_id))
    return redirect(url_for(".thread", conversation_id=conversation_id) + "#composer")


@bp.route("/<uuid:conversation_id>/consent", methods=["POST"])
def record_consent(conversation_id: UUID) -> Response:
    """The customer told the owner (in the shop, on a call) to stop or to start updates."""
    with owner_transaction() as conn:
        conversation = _conversation(conn, conversation_id)
        kind = CONSENT_KINDS.get(request.form.get("kind", ""))
        if kind is None:
            abort(400)
        consent.record_consent(
            conn,
            business_id=str(conversation["business_id"]),
            customer_phone=conversation["customer_phone"],
            kind=kind,
            source="dashboard",
        )
        audit.record(conn, "customer.consent", "conversation", conversation_id, kind=kind)
    flash(CONSENT_RECORDED[kind])
    return redirect(url_for(".thread", conversation_id=conversation_id))


@bp.route("/<uuid:conversation_id>/retry", methods=["POST"])
def retry(conversation_id: UUID) -> Response:
    """Send again what WhatsApp did not take the first time."""
    owner = current_owner()
    with owner_transaction() as conn:
        _conversation(conn, conversation_id)
        audit.record(conn, "chat.send_again", "conversation", conversation_id)
    _deliver(owner.business_id, str(conversation_id))
    return redirect(url_for(".thread", conversation_id=conversation_id))


def _deliver(business_id: str, conversation_id: str) -> None:
    send_pending_or_flash(
        business_id,
        conversation_id,
        not_sent="owner reply not sent yet",
        owner_told="Saved, but WhatsApp didn't answer. Press “Send again” in a moment.",
    )
