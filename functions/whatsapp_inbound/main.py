"""HTTP function: Twilio's WhatsApp webhook. Verify, store, publish, acknowledge — nothing slow."""

import functions_framework
from flask import Request, Response

from duka.db.pool import DatabaseUnavailable
from duka.db.role_check import require_safe_database_role
from duka.inbound import ForgedSignature, MalformedWebhook, UnknownBusiness, accept_inbound
from duka.logs import configure_logging

configure_logging()
require_safe_database_role()  # refuses to start as a role that could bypass RLS

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
    try:
        accept_inbound(request.form.to_dict(), request.headers.get("X-Twilio-Signature"))
    except ForgedSignature:
        return Response("invalid Twilio signature", status=403)
    except UnknownBusiness as exc:
        return Response(str(exc), status=404)
    except MalformedWebhook as exc:
        return Response(str(exc), status=400)
    except DatabaseUnavailable:
        # Not stored: a 5xx makes Twilio retry the webhook.
        return Response("temporarily unavailable", status=503)
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")
