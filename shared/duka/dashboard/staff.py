"""Settings → Staff: the owner lets a helper sign in with their phone, and ends it.

Staff sign in like owners (a WhatsApp code to their phone) and see only chats, customers,
orders and products (duka/dashboard/roles.py). Removing someone ends their sessions at once
(a trigger on business_owners, migration 011) and the page guard re-reads the role on every
request. Every grant and removal goes to the audit log. The new member is told on WhatsApp
(staff_invite.py).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.formatting import phone as shown_phone
from duka.dashboard.owners import AccessRefused, add_staff, members, remove_member
from duka.dashboard.staff_invite import send_invite, sign_in_link
from duka.phone import InvalidPhoneNumber, normalize_kenyan_phone

bp = Blueprint("staff", __name__, url_prefix="/dashboard/settings/staff")


def _page(error: str | None = None, typed: str = "") -> str:
    with owner_transaction() as conn:
        people = members(conn)
    return render_template("staff/page.html", members=people, error=error, typed=typed)


@bp.route("")
def page() -> str:
    return _page()


@bp.route("/add", methods=["POST"])
def add() -> ResponseReturnValue:
    typed = request.form.get("phone", "")
    owner = current_owner()
    try:
        phone = normalize_kenyan_phone(typed)
        with owner_transaction() as conn:
            add_staff(conn, owner.business_id, phone, owner.phone)
            audit.record(conn, "staff.added", "staff", phone)
            shop = conn.execute("SELECT whatsapp_number FROM businesses").fetchone()
    except (InvalidPhoneNumber, AccessRefused) as exc:
        return _page(str(exc), typed), 422
    told = shop is not None and send_invite(
        shop_name=owner.business_name, shop_number=shop["whatsapp_number"], staff_phone=phone
    )
    how = (
        "We told them on WhatsApp."
        if told
        else f"WhatsApp could not tell them: send them {sign_in_link()} yourself."
    )
    flash(
        f"{shown_phone(phone)} can now sign in to this dashboard with their phone:"
        f" a code comes on WhatsApp. {how}"
    )
    return redirect(url_for(".page"))


@bp.route("/remove", methods=["POST"])
def remove() -> ResponseReturnValue:
    phone = request.form.get("phone", "")
    owner = current_owner()
    try:
        with owner_transaction() as conn:
            role = remove_member(conn, owner.business_id, phone, owner.phone)
            audit.record(conn, "staff.removed", "staff", phone, role=role.value)
    except AccessRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for(".page"))
    flash(f"{shown_phone(phone)} can no longer open this dashboard; they were signed out.")
    return redirect(url_for(".page"))
