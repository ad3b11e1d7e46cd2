"""Public pages for customers, no sign-in: the shop's privacy notice, and the download page
of her data that the agent links in chat (a random token, checked against its stored hash
and expiry; a forged or expired one gets the same 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, render_template, request
from werkzeug.wrappers import Response

from duka.dashboard.formatting import NAIROBI
from duka.db.pool import Connection, tenant_transaction
from duka.privacy import export, requests
from duka.privacy.notice import notice_text, paragraphs, retention_months

bp = Blueprint("privacy_public", __name__, url_prefix="/dashboard")
DOWNLOADS = {"json": "application/json", "csv": "text/csv"}


def _shop_id() -> str:
    try:
        return str(UUID(request.args.get("shop", "")))
    except ValueError:
        abort(404)


def _business(conn: Connection, business_id: str) -> dict[str, Any]:
    business = conn.execute(
        "SELECT id, name, phone, whatsapp_number, settings FROM businesses WHERE id = %s",
        (business_id,),
    ).fetchone()
    if business is None:
        abort(404)
    return dict(business)


@bp.route("/privacy")
def notice() -> str:
    business_id = _shop_id()
    with tenant_transaction(business_id) as conn:
        business = _business(conn, business_id)
    return render_template(
        "privacy/notice.html",
        shop=business["name"],
        paragraphs=paragraphs(notice_text(business)),
        months=retention_months(business["settings"] or {}),
    )


@bp.route("/my-data")
def my_data() -> str | Response:
    business_id = _shop_id()
    token = request.args.get("token", "")
    with tenant_transaction(business_id) as conn:
        business = _business(conn, business_id)
        conversation_id = requests.conversation_for_token(conn, token)
        data = export.collect(conn, conversation_id) if conversation_id else None
    if data is None:
        abort(404)
    kind = request.args.get("format", "")
    if kind not in DOWNLOADS:
        return render_template(
            "privacy/my_data.html", shop=business["name"], shop_id=business_id, token=token
        )
    text = export.to_json(data) if kind == "json" else "\ufeff" + export.to_csv(data)
    today = datetime.now(NAIROBI).date().isoformat()
    return Response(
        text,
        mimetype=DOWNLOADS[kind],
        headers={
            "Content-Disposition": f'attachment; filename="my-data-{today}.{kind}"',
            "Cache-Control": "no-store",
        },
    )
