"""HTTP function: the boutique owner's dashboard, a server-rendered Flask app under /dashboard/."""

import functions_framework
from flask import Request
from flask.typing import ResponseReturnValue

from duka.dashboard.app import create_app
from duka.db.role_check import require_safe_database_role
from duka.logs import configure_logging

configure_logging()
require_safe_database_role()  # refuses to start as a role that could bypass RLS
app = create_app()  # at start-up, so a missing DASHBOARD_SESSION_KEY fails the deploy loudly


@functions_framework.http
def dashboard(request: Request) -> ResponseReturnValue:
    with app.request_context(request.environ):
        return app.full_dispatch_request()
