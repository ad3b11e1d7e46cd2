"""The owner's side of data protection: a customer's data downloaded (JSON, CSV) or deleted
from her page, the log of every data request, and the privacy settings (retention, the
notice's text) on the Settings page. Every action is logged as a data request and in the
audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.formatting import NAIROBI
from duka.db.pool import Connection
from duka.phone import mask_phone
from duka.privacy import export, requests
from duka.privacy.deletion import erase_customer
from duka.privacy.notice import (
    MAX_RETENTION_MONTHS,
    MIN_RETENTION_MONTHS,
    default_notice,
    notice_text,
    notice_url,
    parse_privacy,
    retention_months,
)
from duka.store import businesses

bp = Blueprint("privacy", __name__, url_prefix="/dashboard")
DOWNLOADS = {"json": "application/json", "csv": "text/csv"}


def _customer(conn: Connection, customer_id: UUID) -> dict[str, Any]:
    found = conn.execute(
        "SELECT c.id, c.customer_phone, COALESCE(cu.name, c.customer_name) AS name"
        " FROM conversations c LEFT JOIN customers cu ON cu.phone = c.customer_phone"
        " WHERE c.id = %s",
        (customer_id,),
    ).fetchone()
    if found is None:
        abort(404)
    return dict(found)


def _log(conn: Connection, kind: requests.Kind, customer: dict[str, Any]) -> str:
    return requests.log_request(
        conn,
        business_id=current_owner().business_id,
        kind=kind,
        channel="owner",
        conversation_id=str(customer["id"]),
        phone=customer["customer_phone"],
        handled_by=current_owner().phone,
        completed=True,
    )


@bp.route("/customers/<uuid:customer_id>/data.json", defaults={"kind": "json"})
@bp.route("/customers/<uuid:customer_id>/data.csv", defaults={"kind": "csv"})
def download(customer_id: UUID, kind: str) -> Response:
    """ "Download her data": logged as an export she asked the shop for, done at once."""
    if kind not in DOWNLOADS:
        abort(404)
    with owner_transaction() as conn:
        customer = _customer(conn, customer_id)
        data = export.collect(conn, str(customer_id))
        assert data is not None
        request_id = _log(conn, "export", customer)
        audit.record(
            conn,
            "privacy.exported",
            "customer",
            customer_id,
            format=kind,
            request=request_id,
            customer=mask_phone(customer["customer_phone"]),
        )
    text = export.to_json(data) if kind == "json" else "\ufeff" + export.to_csv(data)
    today = datetime.now(NAIROBI).date().isoformat()
    return Response(
        text,
        mimetype=DOWNLOADS[kind],
        headers={
            "Content-Disposition": f'attachment; filename="customer-data-{today}.{kind}"',
            "Cache-Control": "no-store",
        },
    )


def _already_deleted(customer: dict[str, Any]) -> bool:
    return "*" in customer["customer_phone"]  # only a masked reference is left


@bp.route("/customers/<uuid:customer_id>/delete-data", methods=["GET", "POST"])
def delete(customer_id: UUID) -> str | Response:
    """ "Delete her data": a confirm page, then her chat and profile anonymised at once."""
    with owner_transaction() as conn:
        customer = _customer(conn, customer_id)
        if _already_deleted(customer):
            flash("This customer's data was already deleted.")
            return redirect(url_for("privacy.data_requests"))
        if request.method == "GET":
            return render_template("privacy/delete.html", customer=customer)
        request_id = _log(conn, "deletion", customer)
        erased = erase_customer(
            conn,
            conversation_id=str(customer_id),
            phone=customer["customer_phone"],
            request_id=request_id,
        )
        audit.record(
            conn,
            "privacy.deleted",
            "customer",
            customer_id,
            request=request_id,
            customer=erased.masked,
            messages=erased.messages,
            orders_kept=erased.orders,
        )
    kept = f" {erased.orders} order(s) kept for your accounts as {erased.masked}."
    flash("Her data is deleted." + (kept if erased.orders else ""))
    return redirect(url_for("privacy.data_requests"))


@bp.route("/customers/data-requests")
def data_requests() -> str:
    with owner_transaction() as conn:
        rows = requests.list_requests(conn)
    return render_template(
        "privacy/requests.html", rows=rows, within_target=requests.within_target, took=took
    )


def took(duration: timedelta) -> str:
    """How long a request took, in words: "under a second", "3 minutes", "2 days"."""
    seconds = int(duration.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "under a second"


@bp.route("/settings/privacy", methods=["POST"])
def save_settings() -> Response:
    business_id = current_owner().business_id
    with owner_transaction() as conn:
        business = businesses.get_business(conn, business_id)
        assert business is not None
        parsed = parse_privacy(request.form, business)
        if parsed.errors:
            for problem in parsed.errors.values():
                flash(problem, "error")
            return redirect(url_for("settings.page") + "#privacy")
        businesses.replace_settings_section(conn, business_id, "privacy", parsed.values)
        audit.record(conn, "settings.saved", "settings", None, section="privacy")
    return redirect(url_for("settings.page", saved="privacy") + "#privacy")


@bp.app_context_processor
def _privacy_settings() -> dict[str, Any]:
    """For the Settings partial: the notice as the customer sees it, and the retention."""

    def privacy_form(business: dict[str, Any]) -> dict[str, Any]:
        own = ((business.get("settings") or {}).get("privacy") or {}).get("notice")
        return {
            "months": retention_months(business.get("settings") or {}),
            "notice": notice_text(business),
            "own_text": bool(own),
            "default": default_notice(business),
            "url": notice_url(str(business["id"])),
        }

    return {"privacy_form": privacy_form, "RETENTION": (MIN_RETENTION_MONTHS, MAX_RETENTION_MONTHS)}
