"""Which payment gateway a boutique uses, built with its credentials.

A business's settings may say `{"payment": {"gateway": "daraja", "credentials_secret": "x"}}`.
Credentials come from the environment (PAYLINK_* / DARAJA_*), overlaid with the JSON object in
the named secret when the boutique collects into its own account; the callback secrets are
never overlaid. Gateways are cached per set of credentials so Daraja's token is reused.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from duka.config import get_settings
from duka.payments import PaymentGateway, gateway_from_settings
from duka.payments.gateway import GatewayConfigError
from duka.secrets import get_secret_store

DEFAULT_GATEWAY = "paylink"
# Where each gateway's callbacks arrive; Daraja's adapter appends the secret path token.
CALLBACK_PATHS: dict[str, str] = {
    "paylink": "/webhook/paylink/callback",
    "daraja": "/webhook/daraja/callback",
}
_CREDENTIAL_PREFIXES = ("PAYLINK_", "DARAJA_")
# Callbacks are authenticated before their tenant is known, so these stay per deployment.
_CALLBACK_SECRETS = ("PAYLINK_WEBHOOK_SECRET", "DARAJA_CALLBACK_TOKEN")

_cache: dict[tuple[str, tuple[tuple[str, str], ...]], PaymentGateway] = {}
_lock = threading.Lock()


def gateway_name(business_settings: Mapping[str, Any]) -> str:
    """The gateway a business chose, else PAYMENT_GATEWAY, else PayLink (the design's)."""
    payment = business_settings.get("payment") or {}
    return str(payment.get("gateway") or os.environ.get("PAYMENT_GATEWAY") or DEFAULT_GATEWAY)


def callback_url(name: str) -> str:
    if name not in CALLBACK_PATHS:
        raise GatewayConfigError(f"no callback path for payment gateway {name!r}")
    return get_settings().public_base_url + CALLBACK_PATHS[name]


def platform_gateway(name: str) -> PaymentGateway:
    """The gateway built from the environment alone: what authenticates callbacks."""
    return _build(name, _environment_credentials())


def gateway_for_business(
    business_settings: Mapping[str, Any], name: str | None = None
) -> PaymentGateway:
    """The business's gateway (or the named one) with the business's own credentials.

    Raises GatewayConfigError or SecretNotFound for a configuration mistake, and
    SecretStoreUnavailable when the secret could not be read right now.
    """
    values = _environment_credentials()
    secret_name = (business_settings.get("payment") or {}).get("credentials_secret")
    if secret_name:
        values.update(_secret_credentials(str(secret_name)))
    return _build(name or gateway_name(business_settings), values)


def _environment_credentials() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(_CREDENTIAL_PREFIXES)}


def _secret_credentials(secret_name: str) -> dict[str, str]:
    try:
        loaded = json.loads(get_secret_store().get(secret_name))
    except json.JSONDecodeError as exc:
        raise GatewayConfigError(f"secret {secret_name!r} is not a JSON object: {exc}") from exc
    if not isinstance(loaded, dict):
        raise GatewayConfigError(f"secret {secret_name!r} must hold a JSON object")
    return {
        str(key): str(value)
        for key, value in loaded.items()
        if str(key).startswith(_CREDENTIAL_PREFIXES) and key not in _CALLBACK_SECRETS
    }


def _build(name: str, values: dict[str, str]) -> PaymentGateway:
    key = (name, tuple(sorted(values.items())))
    with _lock:
        gateway = _cache.get(key)
        if gateway is None:
            gateway = gateway_from_settings(name, values)
            _cache[key] = gateway
        return gateway
