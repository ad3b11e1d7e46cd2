"""Questions the agent left to the owner: answered in one step from the overview or the chat."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.owner_answers import AnswerInvalid, answer_question
from duka.dashboard.send_pending import send_pending_or_flash

bp = Blueprint("questions", __name__, url_prefix="/dashboard/questions")


def _back(conversation_id: str | None) -> Response:
    """Where the owner answered: the chat, or the overview."""
    if request.form.get("back") == "thread" and conversation_id:
        return redirect(url_for("conversations.thread", conversation_id=conversation_id))
    return redirect(url_for("overview.page") + "#questions")


@bp.route("/<uuid:question_id>/answer", methods=["POST"])
def answer(question_id: UUID) -> Response:
    owner = current_owner()
    try:
        with owner_transaction() as conn:
            answered = answer_question(
                conn,
                owner.business_id,
                str(question_id),
                request.form.get("text", ""),
                owner.phone,
                save=request.form.get("save") == "yes",
            )
            if answered is not None:
                audit.record(
                    conn,
                    "question.answered",
                    "conversation",
                    answered.conversation_id,
                    saved_for_next_time=answered.saved_pair,
                )
    except AnswerInvalid as exc:
        flash(str(exc), "error")
        return _back(request.form.get("conversation_id"))
    if answered is None:  # answered meanwhile (another tab), or not this boutique's
        abort(404)
    sent = send_pending_or_flash(
        owner.business_id,
        answered.conversation_id,
        not_sent="owner answer not sent yet",
        owner_told="Saved, but WhatsApp didn't answer. Press “Send again” on the chat.",
    )
    if sent:
        flash(
            "Answer sent to the customer."
            + (" Saved in Settings for next time." if answered.saved_pair else "")
        )
    return _back(answered.conversation_id)
