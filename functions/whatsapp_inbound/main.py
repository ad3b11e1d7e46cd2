"""HTTP function: Twilio's WhatsApp webhook. Verify, store, publish, acknowledge — nothing slow."""

import functions_framework
from flask import Request, Response

from duka.db.pool import DatabaseUnavailable
from duka.inbound import ForgedSignature, MalformedWebhook, UnknownBusiness, accept_inbound
from duka.logs import configure_logging

configure_logging()

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@functions_framework.http
def whatsapp_inbound(request: Request) -> Response:
    if request.method != "POST":
        return Response("POST only", status=405)
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
