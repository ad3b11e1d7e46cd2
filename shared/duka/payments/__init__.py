"""Payment gateways behind one interface, registered by the name a boutique's settings use."""

from collections.abc import Callable, Mapping

from duka.payments.base import (
    CallbackRejected,
    DarajaConfig,
    FailureReason,
    ForgedCallback,
    GatewayConfig,
    GatewayConfigError,
    GatewayDeclined,
    GatewayFactory,
    GatewayUnavailable,
    PayLinkConfig,
    PaymentError,
    PaymentGateway,
    PaymentOutcomeUnknown,
    PaymentResult,
    PaymentStatus,
    StkPushAccepted,
    StkPushRequest,
    failure_message,
    registry,
)
from duka.payments.daraja import DarajaGateway
from duka.payments.paylink import PayLinkGateway

GATEWAYS: dict[str, GatewayFactory] = registry(
    (PayLinkGateway.name, PayLinkGateway.from_config),
    (DarajaGateway.name, DarajaGateway.from_config),
)

_SETTINGS_READERS: dict[str, Callable[[Mapping[str, str]], GatewayConfig]] = registry(
    (PayLinkGateway.name, PayLinkConfig.from_env),
    (DarajaGateway.name, DarajaConfig.from_env),
)


def gateway_from_settings(name: str, values: Mapping[str, str]) -> PaymentGateway:
    """Build the named gateway from values keyed by environment variable name.

    See duka.orders.gateway_choice for whose settings those are.
    """
    if name not in GATEWAYS:
        raise GatewayConfigError(
            f"unknown payment gateway {name!r} in the business settings; "
            f"expected one of {sorted(GATEWAYS)}"
        )
    return GATEWAYS[name](_SETTINGS_READERS[name](values))


__all__ = [
    "GATEWAYS",
    "CallbackRejected",
    "DarajaConfig",
    "DarajaGateway",
    "FailureReason",
    "ForgedCallback",
    "GatewayConfig",
    "GatewayConfigError",
    "GatewayDeclined",
    "GatewayUnavailable",
    "PayLinkConfig",
    "PayLinkGateway",
    "PaymentError",
    "PaymentGateway",
    "PaymentOutcomeUnknown",
    "PaymentResult",
    "PaymentStatus",
    "StkPushAccepted",
    "StkPushRequest",
    "failure_message",
    "gateway_from_settings",
]
