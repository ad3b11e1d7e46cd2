"""Settings: profile, WhatsApp number, payments, delivery fees, shop answers and the agent's
personality."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from psycopg.types.json import Jsonb

from duka.dashboard import business_settings as forms
from duka.dashboard.auth import current_owner, owner_transaction
from duka.db.pool import Connection

bp = Blueprint("settings", __name__, url_prefix="/dashboard/settings")

PARSERS = {
    "profile": forms.parse_profile,
    "payment": forms.parse_payment,
    "delivery": forms.parse_delivery,
    "shop": forms.parse_shop,
    "agent": forms.parse_agent,
}


def _business(conn: Connection) -> dict[str, Any]:
    row = conn.execute(
        "SELECT * FROM businesses WHERE id = %s", (current_owner().business_id,)
    ).fetchone()
    assert row is not None  # the auth guard found it a moment ago
    return row


def _last_attempt(conn: Connection) -> dict[str, Any] | None:
    row: dict[str, Any] | None = conn.execute(
        "SELECT created_at, status, failure_reason FROM payment_attempts WHERE business_id = %s"
        " ORDER BY created_at DESC LIMIT 1",
        (current_owner().business_id,),
    ).fetchone()
    return row


def _page(
    business: dict[str, Any],
    last_attempt: dict[str, Any] | None,
    errors: dict[str, dict[str, str]],
    status: int = 200,
) -> Any:
    settings = business["settings"] or {}
    page = render_template(
        "settings.html",
        business=business,
        settings=settings,
        errors=errors,
        tones=forms.TONES,
        languages=forms.LANGUAGES,
        gateways=forms.GATEWAYS,
        delivery_fees=forms.delivery_rows(settings.get("delivery") or {}),
        credentials=forms.credentials_status(
            str(business["id"]), settings.get("payment") or {}, last_attempt
        ),
    )
    return page, status


@bp.route("")
def page() -> ResponseReturnValue:
    with owner_transaction() as conn:
        business, last_attempt = _business(conn), _last_attempt(conn)
    return _page(business, last_attempt, {})


@bp.route("/<section>", methods=["POST"])
def save(section: str) -> ResponseReturnValue:
    parse = PARSERS.get(section)
    if parse is None:
        abort(404)
    parsed = parse(request.form)
    business_id = current_owner().business_id
    with owner_transaction() as conn:
        if parsed.errors:
            return _page(_business(conn), _last_attempt(conn), {section: parsed.errors}, 422)
        if section == "profile":
            conn.execute(
                "UPDATE businesses SET name = %s, phone = %s,"
                " settings = settings || jsonb_build_object('profile', %s::jsonb) WHERE id = %s",
                (
                    parsed.values["name"],
                    parsed.values["phone"],
                    Jsonb(parsed.values["profile"]),
                    business_id,
                ),
            )
        elif section == "delivery":  # keep other delivery keys (e.g. area aliases)
            conn.execute(
                "UPDATE businesses SET settings = jsonb_set(settings, '{delivery}',"
                " COALESCE(settings->'delivery', '{}'::jsonb) || %s::jsonb) WHERE id = %s",
                (Jsonb(parsed.values), business_id),
            )
        else:
            conn.execute(
                "UPDATE businesses SET settings = settings"
                " || jsonb_build_object(%s::text, %s::jsonb) WHERE id = %s",
                (section, Jsonb(parsed.values), business_id),
            )
    return redirect(url_for(".page", saved=section) + f"#{section}")
