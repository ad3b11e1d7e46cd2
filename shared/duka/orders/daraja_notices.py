"""Daraja's notifications other than an STK push's result: C2B validation and confirmation,
Transaction Status and Reversal results, and their queue timeouts.

Like the STK callback they are unsigned, so each boutique's URLs carry its own path token
(`gateway_choice.boutique_callback_token`):
`<PUBLIC_BASE_URL>/webhook/daraja/<kind>/<business_id>/<token>`. A handler gets the boutique
and the raw body once the token is checked, and returns the JSON Daraja expects back; the
kinds and their handlers are listed in functions/paylink_callback/main.py.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from typing import Any

from duka.config import get_settings
from duka.orders.gateway_choice import boutique_callback_token
from duka.payments import ForgedCallback
from duka.payments.base import GatewayConfigError

NOTICE_PREFIX = "/webhook/daraja"

Handler = Callable[[str, bytes], Mapping[str, Any]]


def notice_url(kind: str, business_id: str) -> str:
    """The URL Daraja is given for notifications of `kind` about this boutique."""
    token = boutique_callback_token(_platform_token(), business_id)
    return f"{get_settings().public_base_url}{NOTICE_PREFIX}/{kind}/{business_id}/{token}"


def handle_notice(handler: Handler, business_id: str, token: str, body: bytes) -> Mapping[str, Any]:
    """Check the path token, then hand the body to the handler. Raises ForgedCallback for a
    wrong token, CallbackRejected (from the handler) for an unreadable body."""
    expected = boutique_callback_token(_platform_token(), business_id)
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise ForgedCallback("Daraja notification path token does not match the boutique")
    return handler(business_id, body)


def _platform_token() -> str:
    token = get_settings().gateway_environment().get("DARAJA_CALLBACK_TOKEN", "").strip()
    if not token:
        raise GatewayConfigError("DARAJA_CALLBACK_TOKEN is not set")
    return token
