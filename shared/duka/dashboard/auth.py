"""Sign-in with a WhatsApp code, server-side sessions, and the guard on every other page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from duka.dashboard import audit, codes
from duka.dashboard.client_ip import client_ip
from duka.dashboard.csrf import rotate_csrf_token
from duka.dashboard.owners import member_role, owned_businesses
from duka.dashboard.roles import FORBIDDEN, Role, home_endpoint, may_open
from duka.dashboard.sessions import ServerSession, revoke_everywhere
from duka.db.pool import Connection, tenant_transaction, transaction
from duka.phone import InvalidPhoneNumber, normalize_kenyan_phone

bp = Blueprint("auth", __name__, url_prefix="/dashboard")

PUBLIC_ENDPOINTS = {"auth.login", "auth.enter_code", "auth.choose", "static"}
PUBLIC_ENDPOINTS |= {"privacy_public.notice", "privacy_public.my_data"}  # for customers
# One answer for a wrong, expired or never-sent code, so a stranger's phone reads like an owner's.
WRONG_CODE = "That code is not right, or it has expired. Check the newest WhatsApp message."
CODE_ERRORS = {
    codes.Verification.WRONG: (WRONG_CODE, 401),
    codes.Verification.LOCKED: ("Too many wrong tries: ask for a new code.", 401),
    codes.Verification.RATE_LIMITED: (
        "Too many sign-in attempts. Wait a while and try again.",
        429,
    ),
}


@dataclass(frozen=True)
class Owner:
    """Whoever is signed in: an owner of the boutique or one of its staff (see roles.py)."""

    phone: str
    business_id: str
    business_name: str
    role: Role


def current_owner() -> Owner:
    owner: Owner = g.owner
    return owner


@contextmanager
def owner_transaction() -> Iterator[Connection]:
    """A transaction that sees only the signed-in owner's boutique (RLS)."""
    with tenant_transaction(current_owner().business_id) as conn:
        yield conn


def _sign_in(phone: str, business_id: str) -> Response:
    session.clear()  # a new identity: the session store moves to a new token
    session["phone"] = phone
    session["business_id"] = business_id
    rotate_csrf_token()
    with tenant_transaction(business_id) as conn:
        role = member_role(conn, phone)
        if role is not None:
            audit.append(conn, business_id, phone, "auth.signed_in", "session", None)
    # Only a removal in the last instant leaves no role: the guard then signs them out.
    return redirect(url_for(home_endpoint(role) if role else "auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("auth/login.html")
    try:
        phone = normalize_kenyan_phone(request.form.get("phone", ""))
    except InvalidPhoneNumber as exc:
        return render_template("auth/login.html", error=str(exc)), 422
    try:
        codes.request_code(phone, client_ip(request))
    except codes.TooManyCodes as exc:
        return render_template("auth/login.html", error=str(exc)), 429
    session["pending_phone"] = phone
    return redirect(url_for("auth.enter_code"))


@bp.route("/login/code", methods=["GET", "POST"])
def enter_code() -> ResponseReturnValue:
    phone = session.get("pending_phone")
    if not phone:
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("auth/code.html", phone=phone)
    result = codes.verify_code(phone, request.form.get("code", ""), client_ip(request))
    if result is not codes.Verification.OK:
        message, status = CODE_ERRORS[result]
        return render_template("auth/code.html", phone=phone, error=message), status
    with transaction() as conn:
        businesses = owned_businesses(conn, phone)
    if len(businesses) == 1:
        return _sign_in(phone, businesses[0].business_id)
    session.pop("pending_phone", None)
    session["verified_phone"] = phone
    return redirect(url_for("auth.choose"))


@bp.route("/login/choose", methods=["GET", "POST"])
def choose() -> ResponseReturnValue:
    """An owner of several boutiques picks one (the list comes from their phone, never a form)."""
    phone = session.get("verified_phone")
    if not phone:
        return redirect(url_for("auth.login"))
    with transaction() as conn:
        businesses = owned_businesses(conn, phone)
    if request.method == "POST":
        chosen = request.form.get("business_id", "")
        if any(b.business_id == chosen for b in businesses):
            return _sign_in(phone, chosen)
    return render_template("auth/choose.html", businesses=businesses)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    with owner_transaction() as conn:
        audit.record(conn, "auth.signed_out", "session", None)
    session.clear()  # the session store revokes the server-side row
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/logout/everywhere", methods=["POST"])
def logout_everywhere() -> Response:
    """End every session of this phone: other browsers, lost phones, forgotten computers."""
    assert isinstance(session, ServerSession)
    with owner_transaction() as conn:
        audit.record(conn, "auth.signed_out_everywhere", "session", None)
    ended = revoke_everywhere(session)
    flash(f"You are signed out everywhere ({ended} session{'s' if ended != 1 else ''}).")
    return redirect(url_for("auth.login"))


def _require_owner() -> Response | None:
    """Every request re-reads the phone's role, so a removal or a change counts at once; staff
    get 403 on any page not on their allow-list."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    phone, business_id = session.get("phone"), session.get("business_id")
    if phone and business_id:
        with tenant_transaction(business_id) as conn:
            business = conn.execute(
                "SELECT name, (SELECT count(*) FROM conversations"
                " WHERE metadata->>'needs_attention' = 'true') AS waiting"
                " FROM businesses WHERE id = %s",
                (business_id,),
            ).fetchone()
            role = member_role(conn, phone) if business is not None else None
        if role is not None and business is not None:
            g.owner = Owner(phone, business_id, business["name"], role)
            g.waiting_chats = business["waiting"]  # the Chats tab's badge
            if not may_open(role, request.endpoint, request.method):
                abort(403, FORBIDDEN)
            return None
        session.clear()  # access was withdrawn since sign-in: the row is revoked too
    return redirect(url_for("auth.login"))


def _role_helpers() -> dict[str, object]:
    """For templates: show only the links the signed-in person may follow."""
    role = g.owner.role if "owner" in g else Role.OWNER

    def may(endpoint: str, method: str = "GET") -> bool:
        return may_open(role, endpoint, method)

    return {"may_open": may, "home_endpoint": home_endpoint(role)}


def init_auth(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_require_owner)
    app.context_processor(_role_helpers)
