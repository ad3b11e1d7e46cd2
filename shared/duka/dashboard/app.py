"""The dashboard's Flask app: pages under /dashboard, server-side sessions, CSRF, headers."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from duka.config import get_settings
from duka.dashboard import (
    audit_page,
    broadcasts,
    conversations,
    customer_notes,
    customers,
    delivery_pages,
    demand,
    exports,
    follow_up_settings,
    funnel,
    images,
    layaway_pages,
    orders,
    overview,
    payments_report,
    privacy_pages,
    privacy_public,
    products,
    questions,
    refunds,
    saved_replies,
    settings_page,
    staff,
)
from duka.dashboard.auth import init_auth
from duka.dashboard.csrf import init_csrf
from duka.dashboard.formatting import init_formatting
from duka.dashboard.sessions import ServerSessionInterface
from duka.db.pool import DatabaseUnavailable
from duka.logs import log

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_LIFETIME = timedelta(days=7)  # from sign-in, whatever the activity
MAX_UPLOAD_BYTES = 30 * 1024 * 1024  # several phone photos in one product form
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; script-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _http_error(error: HTTPException) -> ResponseReturnValue:
    return render_template("error.html", error=error), error.code or 500


def _database_down(error: DatabaseUnavailable) -> ResponseReturnValue:
    log(logger, logging.ERROR, "dashboard: database unavailable", error=str(error))
    return render_template("error.html", error=None), 503


def create_app() -> Flask:
    settings = get_settings()
    app = Flask(
        "duka.dashboard",
        root_path=str(HERE),
        static_folder="static",
        static_url_path="/dashboard/static",
        template_folder="templates",
    )
    app.config.update(
        SECRET_KEY=settings.require_dashboard_session_key(),  # keys the sign-in code hashes
        SESSION_COOKIE_NAME="duka_session",
        SESSION_COOKIE_PATH="/dashboard",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.is_local,  # any DUKA_ENV but local/test
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
    )
    app.session_interface = ServerSessionInterface()
    init_csrf(app)
    init_auth(app)
    init_formatting(app)
    for module in (
        overview,
        conversations,
        questions,
        products,
        orders,
        refunds,
        payments_report,
        customers,
        settings_page,
        delivery_pages,
        images,
        layaway_pages,
        follow_up_settings,
        broadcasts,
        funnel,
        exports,
        demand,
        saved_replies,
        customer_notes,
        audit_page,
        privacy_pages,
        privacy_public,
        staff,
    ):
        app.register_blueprint(module.bp)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DatabaseUnavailable, _database_down)
    return app
