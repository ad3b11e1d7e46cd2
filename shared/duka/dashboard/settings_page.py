"""Settings: profile, WhatsApp number, payments, delivery fees, shop answers, the owner's own
question/answer pairs and the agent's personality."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from psycopg.types.json import Jsonb

from duka.dashboard import audit
from duka.dashboard import business_settings as forms
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.shop_answer_form import parse_shop_answer
from duka.db.pool import Connection
from duka.delivery.pickup_points import all_points
from duka.delivery.zones import shop_pay_on_delivery, zones_of
from duka.store import businesses, shop_knowledge

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
    conn: Connection,
    errors: dict[str, dict[str, str]],
    status: int = 200,
    typed: dict[str, Any] | None = None,
) -> Any:
    """The page; `typed` is a refused pair form to show again (errors under "answer" or
    "answer-<id>")."""
    business, last_attempt = _business(conn), _last_attempt(conn)
    settings = business["settings"] or {}
    page = render_template(
        "settings.html",
        business=business,
        settings=settings,
        errors=errors,
        shop_answers=shop_knowledge.shop_answers(conn),
        typed=typed or {},
        tones=forms.TONES,
        languages=forms.LANGUAGES,
        gateways=forms.GATEWAYS,
        delivery_zones=zones_of(settings),
        pay_on_delivery_default=shop_pay_on_delivery(settings),
        pickup_point_count=len(all_points(conn)),
        credentials=forms.credentials_status(
            str(business["id"]), settings.get("payment") or {}, last_attempt
        ),
    )
    return page, status


@bp.route("")
def page() -> ResponseReturnValue:
    with owner_transaction() as conn:
        return _page(conn, {})


@bp.route("/<section>", methods=["POST"])
def save(section: str) -> ResponseReturnValue:
    parse = PARSERS.get(section)
    if parse is None:
        abort(404)
    parsed = parse(request.form)
    business_id = current_owner().business_id
    with owner_transaction() as conn:
        if parsed.errors:
            return _page(conn, {section: parsed.errors}, 422)
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
        elif section == "delivery":  # saved zones take over from the older fees and aliases
            conn.execute(
                "UPDATE businesses SET settings = jsonb_set(settings, '{delivery}',"
                " COALESCE(settings->'delivery', '{}'::jsonb) || %s::jsonb) WHERE id = %s",
                (Jsonb(parsed.values), business_id),
            )
        else:
            businesses.replace_settings_section(conn, business_id, section, parsed.values)
        audit.record(conn, "settings.saved", "settings", None, section=section)
    return redirect(url_for(".page", saved=section) + f"#{section}")


@bp.route("/answers", methods=["POST"])
@bp.route("/answers/<uuid:answer_id>", methods=["POST"])
def save_answer(answer_id: UUID | None = None) -> ResponseReturnValue:
    """Add a question/answer pair, or edit one (RLS: only this boutique's)."""
    parsed = parse_shop_answer(request.form)
    key = f"answer-{answer_id}" if answer_id else "answer"
    with owner_transaction() as conn:
        if parsed.errors:
            return _page(conn, {key: parsed.errors}, 422, {key: parsed.values})
        if answer_id is None:
            shop_knowledge.add_shop_answer(conn, current_owner().business_id, **parsed.values)
        elif not shop_knowledge.update_shop_answer(conn, str(answer_id), **parsed.values):
            abort(404)
        audit.record(
            conn, "shop_answer.saved", "settings", answer_id, question=parsed.values["question"]
        )
    return redirect(url_for(".page", saved="answers") + "#answers")


@bp.route("/answers/<uuid:answer_id>/delete", methods=["POST"])
def delete_answer(answer_id: UUID) -> ResponseReturnValue:
    with owner_transaction() as conn:
        if not shop_knowledge.delete_shop_answer(conn, str(answer_id)):
            abort(404)
        audit.record(conn, "shop_answer.deleted", "settings", answer_id)
    return redirect(url_for(".page", saved="answers") + "#answers")
