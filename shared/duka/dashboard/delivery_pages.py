"""Pickup points (a list, one added by hand, a CSV import, removal) and the delivery fee the owner
sets for a place no zone covers. Point and quote ids come in the form, under RLS."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.send_pending import send_pending_or_flash
from duka.delivery import pickup_points, quotes
from duka.delivery.point_form import COLUMNS, Checked, check_point, read_csv

bp = Blueprint("delivery", __name__, url_prefix="/dashboard")

MAX_UPLOAD = 512 * 1024


def _page(checked: Checked | None = None, typed: dict[str, str] | None = None, status: int = 200):
    with owner_transaction() as conn:
        points = pickup_points.all_points(conn)
    page = render_template(
        "pickup_points.html",
        points=points,
        checked=checked,
        typed=typed or {},
        columns=COLUMNS,
    )
    return page, status


@bp.route("/settings/pickup-points")
def pickup_points_page() -> ResponseReturnValue:
    return _page()


@bp.route("/settings/pickup-points", methods=["POST"])
def add_point() -> ResponseReturnValue:
    typed = {key: request.form.get(key, "") for key in COLUMNS}
    point = check_point(typed)
    if isinstance(point, str):
        return _page(Checked(errors=[f"Not saved: {point}"]), typed, 422)
    with owner_transaction() as conn:
        pickup_points.save_points(conn, current_owner().business_id, [point])
        audit.record(conn, "pickup_point.saved", "pickup_point", None, name=point.name)
    flash(f"Saved {point.name}.")
    return redirect(url_for(".pickup_points_page"))


@bp.route("/settings/pickup-points/import", methods=["POST"])
def import_points() -> ResponseReturnValue:
    upload = request.files.get("file")
    data = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not data or len(data) > MAX_UPLOAD:
        return _page(Checked(errors=["Choose a CSV file of at most 512 KB."]), status=422)
    checked = read_csv(data)
    if checked.points:
        with owner_transaction() as conn:
            saved = pickup_points.save_points(conn, current_owner().business_id, checked.points)
            audit.record(conn, "pickup_point.imported", "pickup_point", None, rows=saved)
    return _page(checked, status=200 if checked.points else 422)


@bp.route("/settings/pickup-points/delete", methods=["POST"])
def delete_point() -> ResponseReturnValue:
    point_id = _uuid(request.form.get("point_id", ""))
    with owner_transaction() as conn:
        name = pickup_points.delete_point(conn, point_id)
        if name is None:
            abort(404)
        audit.record(conn, "pickup_point.deleted", "pickup_point", point_id, name=name)
    flash(f"Removed {name}.")
    return redirect(url_for(".pickup_points_page"))


@bp.route("/orders/delivery-fee", methods=["POST"])
def set_fee() -> ResponseReturnValue:
    """The owner's fee for a place no zone covers: the customer gets her total to pay."""
    owner = current_owner()
    quote_id = _uuid(request.form.get("quote_id", ""))
    fee = request.form.get("fee", "").replace(",", "").strip()
    if not fee.isdigit() or int(fee) > quotes.MAX_FEE:
        flash("The delivery fee must be a whole number of shillings.", "error")
        return redirect(url_for("orders.index") + "#delivery-fees")
    with owner_transaction() as conn:
        conversation_id = quotes.set_fee(conn, owner.business_id, quote_id, int(fee))
        if conversation_id is None:
            abort(404)
        audit.record(conn, "delivery_fee.set", "delivery_quote", quote_id, fee_kes=int(fee))
    if send_pending_or_flash(
        owner.business_id,
        conversation_id,
        not_sent="delivery fee not sent yet",
        owner_told="Saved. WhatsApp didn't answer: open the chat and press “Send again”.",
    ):
        flash("Saved, and the customer was sent her total on WhatsApp.")
    return redirect(url_for("orders.index") + "#delivery-fees")


def _uuid(raw: str) -> str:
    try:
        return str(UUID(raw))
    except ValueError:
        abort(404)
