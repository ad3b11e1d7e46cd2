"""HTTP function: payment gateway callbacks. PayLink's are signed; Daraja's carry the boutique
and its own secret token in the path (`/webhook/daraja/callback/<business_id>/<token>` for an STK
result, `/webhook/daraja/<kind>/<business_id>/<token>` for C2B, Transaction Status and Reversal:
duka.orders.daraja_notices).
Verify, confirm with the gateway, apply once, acknowledge; the reconciler recovers anything
missed, including pushes whose callbacks were sent to a path this deployment no longer takes."""

import json
import logging

import functions_framework
from flask import Request, Response

from duka.db.role_check import require_safe_database_role
from duka.errors import DukaError, Misconfigured, http_status, public_reason
from duka.logs import configure_logging, log
from duka.orders import code_checks, till_notices
from duka.orders.callbacks import handle_callback
from duka.orders.daraja_notices import NOTICE_PREFIX, Handler, handle_notice
from duka.orders.reversals import reversal_result, reversal_timeout

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


# Daraja's notifications other than an STK result, by the kind their URL names.
DARAJA_NOTICES: dict[str, Handler] = {
    "reversal-result": reversal_result,
    "reversal-timeout": reversal_timeout,
    "c2b-validation": till_notices.on_validation,
    "c2b-confirmation": till_notices.on_confirmation,
    "status-result": code_checks.on_status_result,
    "status-timeout": code_checks.on_status_timeout,
}


def _notice_route(path: str) -> tuple[str, str, str] | None:
    """A Daraja notification's kind, boutique and path token."""
    parts = path.removeprefix(NOTICE_PREFIX + "/").split("/")
    if not path.startswith(NOTICE_PREFIX + "/") or len(parts) != 3:
        return None
    kind, business_id, token = parts
    return (kind, business_id, token) if kind in DARAJA_NOTICES else None


@functions_framework.http
def paylink_callback(request: Request) -> Response:
    if request.method != "POST":
        return Response("POST only", status=405)
    notice = _notice_route(request.path)
    if notice is not None:
        return _daraja_notice(*notice, request.get_data())
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


def _daraja_notice(kind: str, business_id: str, token: str, body: bytes) -> Response:
    try:
        answer = handle_notice(DARAJA_NOTICES[kind], business_id, token, body)
    except DukaError as exc:
        level = logging.ERROR if isinstance(exc, Misconfigured) else logging.WARNING
        log(logger, level, "Daraja notification not applied", kind=kind, error=str(exc))
        return Response(public_reason(exc), status=http_status(exc))
    return Response(json.dumps(answer), status=200, mimetype="application/json")
