"""HTTP function: Twilio's WhatsApp webhook and its status callbacks. Verify, store, publish,
acknowledge — nothing slow."""

import logging

import functions_framework
from flask import Request, Response

from duka.db.role_check import require_safe_database_role
from duka.delivery_receipts import accept_status
from duka.errors import DukaError, Misconfigured, http_status, public_reason
from duka.inbound import accept_inbound
from duka.logs import configure_logging, log

configure_logging()
require_safe_database_role()  # refuses to start as a role that could bypass RLS
logger = logging.getLogger("whatsapp_inbound")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# Twilio's webhook bodies are a few kilobytes; anything far larger is not from Twilio.
MAX_BODY_BYTES = 64 * 1024


@functions_framework.http
def whatsapp_inbound(request: Request) -> Response:
    if request.method != "POST":
        return Response("POST only", status=405)
    if request.content_length is None:
        return Response("Content-Length required", status=411)  # Twilio always sends it
    if request.content_length > MAX_BODY_BYTES:
        return Response("request body too large", status=413)
    # `/webhook/whatsapp/status` (the StatusCallback of every send), else a customer's message.
    accept = accept_status if request.path.rstrip("/").endswith("/status") else accept_inbound
    try:
        accept(request.form.to_dict(), request.headers.get("X-Twilio-Signature"))
    except DukaError as exc:
        if isinstance(exc, Misconfigured):
            log(logger, logging.ERROR, "webhook misconfigured", error=str(exc))
        # Twilio's docs answer a forged signature with 403. A Transient error stored nothing,
        # and its 503 makes Twilio retry the webhook.
        return Response(public_reason(exc), status=http_status(exc, not_authentic=403))
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")
