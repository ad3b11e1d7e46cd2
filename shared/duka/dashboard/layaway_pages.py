"""Lipa pole pole on the dashboard: saving the shop's terms (Settings) and recording, on a lapsed
plan's order page, what was done with its deposit per the shop's stated policy."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.layaway_form import POLICY_LABELS, parse_layaway
from duka.orders.layaway import POLICIES
from duka.store import businesses

bp = Blueprint("layaway", __name__, url_prefix="/dashboard/layaway")


@bp.app_context_processor
def _policy_labels() -> dict[str, dict[str, str]]:
    """The deposit choices in the owner's words, for the settings and order page partials."""
    return {"LAYAWAY_POLICIES": POLICY_LABELS}


@bp.route("/settings", methods=["POST"])
def save_settings() -> Response:
    parsed = parse_layaway(request.form)
    if parsed.errors:
        for problem in parsed.errors.values():
            flash(problem, "error")
        return redirect(url_for("settings.page") + "#layaway")
    with owner_transaction() as conn:
        businesses.replace_settings_section(
            conn, current_owner().business_id, "layaway", parsed.values
        )
        audit.record(conn, "settings.saved", "settings", None, section="layaway")
    return redirect(url_for("settings.page", saved="layaway") + "#layaway")


@bp.route("/orders/<uuid:order_id>/deposit", methods=["POST"])
def decide_deposit(order_id: UUID) -> Response:
    """Keep, refund or turn into store credit the deposit of a plan whose term ran out; once."""
    decision = request.form.get("decision", "")
    with owner_transaction() as conn:
        order = conn.execute(
            "SELECT status, layaway_decision FROM orders WHERE id = %s FOR UPDATE", (order_id,)
        ).fetchone()
        if order is None:
            abort(404)
        if decision not in POLICIES:
            flash("Choose what happens to the deposit.", "error")
            return redirect(url_for("orders.detail", order_id=order_id))
        if order["status"] != "lapsed" or order["layaway_decision"] is not None:
            flash("Only a lapsed plan's deposit is decided, and only once.", "error")
            return redirect(url_for("orders.detail", order_id=order_id))
        conn.execute(
            "UPDATE orders SET layaway_decision = %s, layaway_decided_at = now() WHERE id = %s",
            (decision, order_id),
        )
        audit.record(conn, "order.deposit_decided", "order", order_id, decision=decision)
    flash(f"Deposit recorded: {POLICY_LABELS[decision].lower()}.")
    return redirect(url_for("orders.detail", order_id=order_id))


@bp.route("/products/<uuid:product_id>", methods=["POST"])
def product_layaway(product_id: UUID) -> Response:
    """Allow, or leave out of, lipa pole pole one product (it is allowed unless left out)."""
    allowed = request.form.get("layaway") == "yes"
    with owner_transaction() as conn:
        row = conn.execute(
            "UPDATE products SET layaway = %s WHERE id = %s RETURNING name", (allowed, product_id)
        ).fetchone()
        if row is not None:
            audit.record(conn, "product.layaway", "product", product_id, allowed=allowed)
    if row is None:
        abort(404)
    state = "may be paid pole pole" if allowed else "must be paid in full"
    flash(f"“{row['name']}” {state}.")
    return redirect(url_for("products.edit", product_id=product_id) + "#layaway")
