"""HTTP function: payment gateway callbacks. PayLink's are signed; Daraja's carry the boutique
and its own secret token in the path (`/webhook/daraja/callback/<business_id>/<token>`).
Verify, confirm with the gateway, apply once, acknowledge; the reconciler recovers anything
missed, including pushes whose callbacks were sent to a path this deployment no longer takes."""

import json
import logging

import functions_framework
from flask import Request, Response

from duka.db.role_check import require_safe_database_role
from duka.errors import DukaError, Misconfigured, http_status, public_reason
from duka.logs import configure_logging, log
from duka.orders.callbacks import handle_callback

configure_logging()
require_safe_database_role()  # refuses to start as a role that could bypass RLS
logger = logging.getLogger("paylink_callback")

PAYLINK_PATH = "/webhook/paylink/callback"
DARAJA_PREFIX = "/webhook/daraja/callback"
# What each gateway expects back; Daraja reads ResultCode 0 as "received".
ACKNOWLEDGEMENTS = {
    "paylink": {"status": "ok"},
    "daraja": {"ResultCode": 0, "ResultDesc": "Accepted"},
}


def _route(path: str) -> tuple[str, str | None, str | None] | None:
    """The gateway, the boutique the path names and the path token."""
    if path.rstrip("/") == PAYLINK_PATH:
        return "paylink", None, None
    if path == DARAJA_PREFIX or path.startswith(DARAJA_PREFIX + "/"):
        business_id, _, token = path[len(DARAJA_PREFIX) + 1 :].partition("/")
        return "daraja", business_id or None, token or None
    return None


@functions_framework.http
def paylink_callback(request: Request) -> Response:
    if request.method != "POST":
        return Response("POST only", status=405)
    route = _route(request.path)
    if route is None:
        return Response("no such callback", status=404)
    gateway, business_id, path_token = route
    try:
        handle_callback(gateway, dict(request.headers), request.get_data(), path_token, business_id)
    except DukaError as exc:
        # Rejected: 401 forged, 400 unreadable. Transient: 503, so the gateway sends it again.
        # Misconfigured: 500, and an error line for the operator.
        level = logging.ERROR if isinstance(exc, Misconfigured) else logging.WARNING
        log(logger, level, "payment callback not applied", gateway=gateway, error=str(exc))
        return Response(public_reason(exc), status=http_status(exc))
    body = json.dumps(ACKNOWLEDGEMENTS[gateway])
    return Response(body, status=200, mimetype="application/json")
