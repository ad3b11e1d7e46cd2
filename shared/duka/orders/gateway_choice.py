"""Which payment gateway a boutique uses, built with whose credentials.

A business's settings say `{"payment": {"gateway": "daraja", "own_credentials": true}}`.
Platform and boutique credentials never mix:

- Base URLs and callback secrets are always the deployment's own (environment).
- Credential keys (API key, consumer key and secret, passkey, shortcode...) come from the
  environment, or, for a boutique that collects into its own account, ONLY from the secret
  `boutique-<business_id>-<gateway>`: no platform key fills a gap in it, and a secret holding any
  other key (a base URL, a callback secret) is refused. The name is derived, never typed, so an
  owner cannot name another boutique's secret; a legacy `credentials_secret` is accepted only
  when it equals the derived name.
- Daraja callbacks carry a per-boutique path token, HMAC-SHA256(DARAJA_CALLBACK_TOKEN,
  business_id), after the business id: `/webhook/daraja/callback/<business_id>/<token>`.

Gateways are cached per set of credentials so Daraja's token is reused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from typing import Any

from duka.config import get_settings
from duka.payments import ForgedCallback, PaymentGateway, gateway_from_settings
from duka.payments.base import GatewayConfigError
from duka.secrets import get_secret_store

BOUTIQUE_SECRET_PREFIX = "boutique-"
# Where each gateway's callbacks arrive; Daraja's adapter appends the boutique's path token.
CALLBACK_PATHS: dict[str, str] = {
    "paylink": "/webhook/paylink/callback",
    "daraja": "/webhook/daraja/callback",
}
# The only keys a boutique's secret may hold: who is paid, never where requests go.
BOUTIQUE_CREDENTIAL_KEYS: dict[str, frozenset[str]] = {
    "paylink": frozenset({"PAYLINK_API_KEY", "PAYLINK_USERNAME"}),
    "daraja": frozenset(
        {
            "DARAJA_CONSUMER_KEY",
            "DARAJA_CONSUMER_SECRET",
            "DARAJA_PASSKEY",
            "DARAJA_SHORTCODE",
            "DARAJA_TRANSACTION_TYPE",
            "DARAJA_PARTY_B",
            "DARAJA_INITIATOR_NAME",
            "DARAJA_SECURITY_CREDENTIAL",
        }
    ),
}
_DARAJA_TOKEN = "DARAJA_CALLBACK_TOKEN"

_cache: dict[tuple[str, tuple[tuple[str, str], ...]], PaymentGateway] = {}
_lock = threading.Lock()


def gateway_name(business_settings: Mapping[str, Any]) -> str:
    """The gateway a business chose, else PAYMENT_GATEWAY (PayLink unless set)."""
    payment = business_settings.get("payment") or {}
    return str(payment.get("gateway") or get_settings().payment_gateway)


def boutique_secret_name(business_id: str, name: str) -> str:
    """The only secret a boutique's own credentials for gateway `name` may be read from."""
    return f"{BOUTIQUE_SECRET_PREFIX}{business_id}-{name}"


def boutique_callback_token(platform_token: str, business_id: str) -> str:
    """The Daraja callback path token of one boutique: useless for any other boutique."""
    return hmac.new(platform_token.encode(), business_id.encode(), hashlib.sha256).hexdigest()


def callback_url(name: str, business_id: str) -> str:
    """Where the gateway posts the outcome of a push for this boutique."""
    if name not in CALLBACK_PATHS:
        raise GatewayConfigError(f"no callback path for payment gateway {name!r}")
    url = get_settings().public_base_url + CALLBACK_PATHS[name]
    return f"{url}/{business_id}" if name == "daraja" else url


def platform_gateway(name: str) -> PaymentGateway:
    """The gateway built from the environment alone."""
    return _build(name, _environment())


def callback_gateway(name: str, business_id: str | None) -> PaymentGateway:
    """The gateway that authenticates a callback: the deployment's, holding the Daraja path
    token of the boutique the callback path names. Raises ForgedCallback if it names none."""
    if name != "daraja":
        return platform_gateway(name)
    if not business_id:
        raise ForgedCallback("Daraja callback path names no boutique")
    return _build(name, _with_boutique_token(_environment(), business_id))


def uses_own_credentials(business_id: str, business_settings: Mapping[str, Any], name: str) -> bool:
    """Whether the boutique collects into its own account; refuses another boutique's secret."""
    payment = business_settings.get("payment") or {}
    named = payment.get("credentials_secret")
    if named:
        expected = boutique_secret_name(business_id, name)
        if named != expected:
            raise GatewayConfigError(
                f"credentials_secret {named!r} is not this boutique's: its credentials can only "
                f"be read from {expected!r} (set payment.own_credentials instead)"
            )
        return True
    return payment.get("own_credentials") is True


def gateway_for_business(
    business_id: str, business_settings: Mapping[str, Any], name: str | None = None
) -> PaymentGateway:
    """The business's gateway (or the named one): the deployment's base URL and callback
    secrets with either the deployment's credentials or the boutique's own, never both.

    Raises GatewayConfigError or SecretNotFound for a configuration mistake, and
    SecretStoreUnavailable when the secret could not be read right now.
    """
    name = name or gateway_name(business_settings)
    values = _with_boutique_token(_environment(), business_id)
    if uses_own_credentials(business_id, business_settings, name):
        allowed = _credential_keys(name)
        values = {key: value for key, value in values.items() if key not in allowed}
        values.update(_secret_credentials(boutique_secret_name(business_id, name), allowed))
    return _build(name, values)


def _credential_keys(name: str) -> frozenset[str]:
    if name not in BOUTIQUE_CREDENTIAL_KEYS:
        raise GatewayConfigError(f"unknown payment gateway {name!r} in the business settings")
    return BOUTIQUE_CREDENTIAL_KEYS[name]


def _environment() -> dict[str, str]:
    return get_settings().gateway_environment()


def _with_boutique_token(values: dict[str, str], business_id: str) -> dict[str, str]:
    platform_token = values.get(_DARAJA_TOKEN, "").strip()
    if not platform_token:
        return values  # DarajaConfig names the missing setting if Daraja is used
    return {**values, _DARAJA_TOKEN: boutique_callback_token(platform_token, business_id)}


def _secret_credentials(secret_name: str, allowed: frozenset[str]) -> dict[str, str]:
    try:
        loaded = json.loads(get_secret_store().get(secret_name))
    except json.JSONDecodeError as exc:
        raise GatewayConfigError(f"secret {secret_name!r} is not a JSON object: {exc}") from exc
    if not isinstance(loaded, dict):
        raise GatewayConfigError(f"secret {secret_name!r} must hold a JSON object")
    refused = sorted(str(key) for key in loaded if key not in allowed)
    if refused:
        raise GatewayConfigError(
            f"secret {secret_name!r} may hold only {sorted(allowed)}; remove {refused} "
            "(base URLs and callback secrets are the deployment's own)"
        )
    return {str(key): str(value) for key, value in loaded.items()}


def _build(name: str, values: dict[str, str]) -> PaymentGateway:
    key = (name, tuple(sorted(values.items())))
    with _lock:
        gateway = _cache.get(key)
        if gateway is None:
            gateway = gateway_from_settings(name, values)
            _cache[key] = gateway
        return gateway
