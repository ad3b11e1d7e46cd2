"""Broadcasts: the owner's list with the number's daily messaging limit, a new broadcast
(products, audience filters with the count, a preview of each card as the customer sees it),
and each broadcast's report. Sending is the `broadcasts` job's (duka/broadcasts/job.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duka.broadcasts import audience, cards, limits, store
from duka.broadcasts.report import report
from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.broadcast_form import BroadcastForm, parse, require_send
from duka.db.pool import Connection

bp = Blueprint("broadcasts", __name__, url_prefix="/dashboard/broadcasts")


def _business(conn: Connection) -> dict[str, Any]:
    row = conn.execute(
        "SELECT name, settings FROM businesses WHERE id = %s", (current_owner().business_id,)
    ).fetchone()
    assert row is not None  # the auth guard found it a moment ago
    return row


@bp.route("")
def index() -> ResponseReturnValue:
    business_id = current_owner().business_id
    with owner_transaction() as conn:
        return render_template(
            "broadcasts/list.html",
            broadcasts=store.listed(conn),
            daily_limit=limits.daily_limit(_business(conn)["settings"]),
            reached=limits.customers_reached(conn, business_id),
            choices=limits.DAILY_LIMITS,
        )


@bp.route("/limit", methods=["POST"])
def save_limit() -> ResponseReturnValue:
    raw = request.form.get("daily_limit", "")
    if not raw.isdigit() or int(raw) not in limits.DAILY_LIMITS:
        flash("Pick one of WhatsApp's limits: 250, 1,000 or 10,000.", "error")
        return redirect(url_for(".index"))
    with owner_transaction() as conn:
        limits.set_daily_limit(conn, current_owner().business_id, int(raw))
        audit.record(conn, "settings.saved", "settings", None, section="daily limit", limit=raw)
    flash(f"Daily limit saved: {int(raw):,} customers per 24 hours.")
    return redirect(url_for(".index"))


def _new_page(conn: Connection, form: BroadcastForm, status: int = 200) -> ResponseReturnValue:
    business_id = current_owner().business_id
    business = _business(conn)
    chosen = cards.products(conn, form.product_ids)
    previews = [(p, cards.card(p, str(business["name"]))) for p in chosen]
    audience_size = len(audience.members(conn, business_id, form.audience))
    products = conn.execute(
        "SELECT id, name, price, stock, category, images FROM products WHERE active"
        " ORDER BY created_at DESC, name LIMIT 200"
    ).fetchall()
    page = render_template(
        "broadcasts/new.html",
        form=form,
        products=products,
        categories=audience.categories(conn, business_id),
        previews=previews,
        audience_size=audience_size,
        daily_limit=limits.daily_limit(business["settings"]),
        max_products=cards.MAX_PRODUCTS,
    )
    return page, status


@bp.route("/new")
def new() -> ResponseReturnValue:
    with owner_transaction() as conn:
        return _new_page(conn, parse(request.args))


@bp.route("", methods=["POST"])
def send() -> ResponseReturnValue:
    form = parse(request.form)
    require_send(form)
    business_id = current_owner().business_id
    with owner_transaction() as conn:
        if len(cards.products(conn, form.product_ids)) != len(form.product_ids):
            form.errors["product"] = "A product is no longer on sale; pick again."
        if not form.errors and not audience.members(conn, business_id, form.audience):
            form.errors["audience"] = "No customer who agreed to offers matches these filters."
        if form.errors:
            return _new_page(conn, form, 422)
        broadcast_id, count = store.create(
            conn,
            business_id,
            title=form.title,
            product_ids=form.product_ids,
            audience=form.audience,
        )
        audit.record(conn, "broadcast.sent", "broadcast", broadcast_id, title=form.title, to=count)
    flash(f"Sending to {count} customer{'s' if count != 1 else ''}, paced under your daily limit.")
    return redirect(url_for(".detail", broadcast_id=broadcast_id))


@bp.route("/<uuid:broadcast_id>")
def detail(broadcast_id: UUID) -> ResponseReturnValue:
    with owner_transaction() as conn:
        broadcast = store.get(conn, str(broadcast_id))
        if broadcast is None:
            abort(404)
        shop = str(_business(conn)["name"])
        chosen = cards.products(conn, [str(p) for p in broadcast["product_ids"]])
        return render_template(
            "broadcasts/report.html",
            broadcast=broadcast,
            report=report(conn, str(broadcast_id)),
            previews=[(p, cards.card(p, shop)) for p in chosen],
            filters=audience.Audience.from_json(broadcast["audience"]),
        )


@bp.route("/<uuid:broadcast_id>/cancel", methods=["POST"])
def cancel(broadcast_id: UUID) -> ResponseReturnValue:
    with owner_transaction() as conn:
        if store.get(conn, str(broadcast_id)) is None:
            abort(404)
        stopped = store.cancel(conn, str(broadcast_id))
        if stopped:
            audit.record(conn, "broadcast.stopped", "broadcast", broadcast_id)
    flash("Stopped: no one else gets it." if stopped else "It had already finished.")
    return redirect(url_for(".detail", broadcast_id=broadcast_id))
