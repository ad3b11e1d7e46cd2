"""The owner's follow-ups on the Settings page: each kind (a quiet cart's reminder, the offer to
try again after an ended M-Pesa prompt) on or off, and how long the chat is quiet first.
Stored as `businesses.settings["follow_ups"]`, read by the `follow_up_kind` SQL function
(duka.orders.follow_ups describes it)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.business_settings import Section
from duka.orders.follow_ups import KINDS, MAX_DELAY_MINUTES, MIN_DELAY_MINUTES, rules
from duka.store import businesses

bp = Blueprint("follow_ups", __name__, url_prefix="/dashboard/follow-ups")

LABELS = {"cart": "Cart reminder", "prompt": "Try-again offer"}


def parse_follow_ups(form: MultiDict[str, str]) -> Section:
    section = Section()
    for kind in KINDS:
        raw = form.get(f"{kind}_delay_minutes", "").strip()
        if not raw.isdigit() or not MIN_DELAY_MINUTES <= int(raw) <= MAX_DELAY_MINUTES:
            section.errors[kind] = (
                f"{LABELS[kind]}: wait from {MIN_DELAY_MINUTES} to {MAX_DELAY_MINUTES} minutes."
            )
            continue
        section.values[kind] = {"on": form.get(f"{kind}_on") == "yes", "delay_minutes": int(raw)}
    return section


@bp.app_context_processor
def _follow_up_rules() -> dict[str, Any]:
    """The saved (or default) follow-ups, and the delay's bounds, for the settings partial."""
    return {
        "follow_up_rules": lambda settings: dict(rules(settings)),
        "FOLLOW_UP_DELAY": (MIN_DELAY_MINUTES, MAX_DELAY_MINUTES),
    }


@bp.route("/settings", methods=["POST"])
def save_settings() -> Response:
    parsed = parse_follow_ups(request.form)
    if parsed.errors:
        for problem in parsed.errors.values():
            flash(problem, "error")
        return redirect(url_for("settings.page") + "#follow-ups")
    with owner_transaction() as conn:
        businesses.replace_settings_section(
            conn, current_owner().business_id, "follow_ups", parsed.values
        )
        audit.record(conn, "settings.saved", "settings", None, section="follow-ups")
    return redirect(url_for("settings.page", saved="follow-ups") + "#follow-ups")
