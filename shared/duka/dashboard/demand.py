"""The demand page: what customers asked for that the shop doesn't have, grouped into topics.

The range is the last 7 days unless the owner picks 30 or 90 (`?days=`); any other value shows
the default. Owner-only: the page reads under the signed-in owner's tenant (RLS).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, render_template, request

from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.formatting import NAIROBI
from duka.demand.topics import topics

bp = Blueprint("demand", __name__, url_prefix="/dashboard/demand")

RANGES = (7, 30, 90)
DEFAULT_DAYS = RANGES[0]


def chosen_days() -> int:
    try:
        days = int(request.args.get("days") or DEFAULT_DAYS)
    except ValueError:
        return DEFAULT_DAYS
    return days if days in RANGES else DEFAULT_DAYS


@bp.route("/")
def page() -> str:
    days = chosen_days()
    end = datetime.now(NAIROBI)
    with owner_transaction() as conn:
        found = topics(conn, current_owner().business_id, end - timedelta(days=days), end)
    return render_template("demand.html", topics=found, days=days, ranges=RANGES)
