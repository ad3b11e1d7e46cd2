"""The funnel page: chats → products shown → carts → checkouts → prompts → paid, for a range.

The range is whole Nairobi days, `from` to `to` inclusive (default: the last 30 days). A range
the owner mistyped (the end before the start, or over a year) is said, and the default shown.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request

from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.formatting import NAIROBI
from duka.dashboard.funnel_data import SEGMENTS, funnel
from duka.dashboard.revenue_sources import LABELS as SOURCE_LABELS

bp = Blueprint("funnel", __name__, url_prefix="/dashboard/funnel")

DEFAULT_DAYS = 30
PRESETS = (7, 30, 90)
MAX_DAYS = 366
SEGMENT_LABELS = {"all": "All chats", "agent": "Agent only", "assisted": "Human assisted"}


def chosen_range(today: date) -> tuple[date, date, str | None]:
    """The first and last day asked for, and what was wrong with the request (if anything)."""
    default = (today - timedelta(days=DEFAULT_DAYS - 1), today)
    try:
        first = date.fromisoformat(request.args.get("from") or default[0].isoformat())
        last = date.fromisoformat(request.args.get("to") or default[1].isoformat())
    except ValueError:
        return *default, "Those dates could not be read; showing the last 30 days."
    if last < first:
        return *default, "The end date was before the start; showing the last 30 days."
    if (last - first).days >= MAX_DAYS:
        return *default, "Choose at most a year; showing the last 30 days."
    return first, last, None


@bp.route("/")
def page() -> str:
    today = datetime.now(NAIROBI).date()
    first, last, problem = chosen_range(today)
    start = datetime.combine(first, time(), NAIROBI)
    end = datetime.combine(last + timedelta(days=1), time(), NAIROBI)
    with owner_transaction() as conn:
        figures = funnel(conn, current_owner().business_id, start, end)
    presets = [(days, (today - timedelta(days=days - 1)).isoformat()) for days in PRESETS]
    return render_template(
        "funnel.html",
        funnel=figures,
        first=first,
        last=last,
        today=today,
        problem=problem,
        presets=presets,
        segments=SEGMENTS,
        segment_labels=SEGMENT_LABELS,
        source_labels=SOURCE_LABELS,
    )
