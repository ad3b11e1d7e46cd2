"""The payment gateway interface: requests, results, errors, settings and the retry rule.

Adapters (PayLink, Daraja) speak HTTP behind this interface; orders, stock and callback
handling are built on top of it and never see a status code.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Literal, Protocol, Self, TypeVar

import httpx

from duka.errors import Misconfigured, NotAuthentic, Rejected, Transient


@dataclass(frozen=True)
class StkPushRequest:
    """One attempt to collect an order's payment with an M-Pesa prompt on the customer's phone.

    `callback_url` is the boutique's callback endpoint at the chosen gateway; Daraja appends its
    secret path token to it, PayLink ignores it (its callback URL is set in PayLink's dashboard).
    """

    order_id: str
    attempt: int
    phone_e164: str
    amount_kes: int
    account_reference: str
    description: str
    callback_url: str


@dataclass(frozen=True)
class StkPushAccepted:
    gateway: str
    checkout_request_id: str
    mpesa_reference: str | None
    customer_message: str | None


class PaymentStatus(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PENDING = "pending"


class FailureReason(StrEnum):
    CANCELLED_BY_USER = "cancelled_by_user"
    WRONG_PIN = "wrong_pin"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    PHONE_UNREACHABLE = "phone_unreachable"
    EXPIRED = "expired"
    SYSTEM_ERROR = "system_error"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PaymentResult:
    gateway: str
    status: PaymentStatus
    checkout_request_id: str | None
    mpesa_reference: str | None
    order_reference: str | None
    amount_kes: int | None
    transaction_id: str | None
    failure_reason: FailureReason | None
    result_code: str | None
    result_desc: str | None
    raw: Mapping[str, Any]


class PaymentGateway(Protocol):
    name: str

    def initiate_stk_push(self, request: StkPushRequest) -> StkPushAccepted: ...

    def parse_callback(
        self, *, headers: Mapping[str, str], body: bytes, path_token: str | None
    ) -> PaymentResult:
        """Authenticate and read a callback; raises CallbackRejected if bad or malformed."""
        ...

    def query_status(self, checkout_request_id: str) -> PaymentResult:
        """Ask the gateway how a push ended; PENDING while the customer has not answered."""
        ...

    def callback_requires_confirmation(self) -> bool:
        """True when callbacks are unsigned, so a PAID callback must be confirmed by query
        (failure callbacks are always confirmed: they give stock back)."""
        ...


class PaymentError(Exception):
    """Base of every payment gateway error."""


class GatewayDeclined(PaymentError, Rejected):
    """Final: the gateway refused the request (e.g. invalid phone); tell the customer why."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class GatewayUnavailable(PaymentError, Transient):
    """Transient: no payment prompt was sent, so retrying (or asking the customer to) is safe."""


class PaymentOutcomeUnknown(PaymentError, Transient):
    """The prompt may have been sent: reconcile by callback or query, never push this attempt again.

    Without a checkout id there is nothing to query; wait for the callback, and only after the
    prompt's lifetime (about two minutes) treat the attempt as lost and start a new one.
    """

    def __init__(self, message: str, *, order_id: str, attempt: int) -> None:
        super().__init__(message)
        self.order_id = order_id
        self.attempt = attempt


class CallbackRejected(PaymentError, Rejected):
    """The callback cannot be read (or, as `ForgedCallback`, is not authentic); act on nothing."""

    @property
    def unauthenticated(self) -> bool:
        return isinstance(self, NotAuthentic)


class ForgedCallback(CallbackRejected, NotAuthentic):
    """The callback's signature or path token is missing or wrong."""


class GatewayConfigError(PaymentError, Misconfigured):
    """A configuration mistake; the message names the setting to fix."""


def _required(values: Mapping[str, str], name: str) -> str:
    value = values.get(name, "").strip()
    if not value:
        raise GatewayConfigError(f"{name} is not set")
    return value


@dataclass(frozen=True)
class PayLinkConfig:
    base_url: str
    api_key: str = field(repr=False)
    username: str
    webhook_secret: str = field(repr=False)
    timeout_s: float = 10

    @classmethod
    def from_env(cls, values: Mapping[str, str]) -> PayLinkConfig:
        """Read the deployment's values (`Settings.gateway_environment`), or them with a
        boutique's own keys (duka.orders.gateway_choice)."""
        return cls(
            base_url=values.get("PAYLINK_BASE_URL", "").strip() or "https://api.paylink.co.ke",
            api_key=_required(values, "PAYLINK_API_KEY"),
            username=_required(values, "PAYLINK_USERNAME"),
            webhook_secret=_required(values, "PAYLINK_WEBHOOK_SECRET"),
        )


TransactionType = Literal["CustomerPayBillOnline", "CustomerBuyGoodsOnline"]


@dataclass(frozen=True)
class DarajaConfig:
    """Daraja M-Pesa Express settings; for a till (buy goods) `party_b` is the till number."""

    base_url: str
    consumer_key: str
    consumer_secret: str = field(repr=False)
    passkey: str = field(repr=False)
    shortcode: str
    transaction_type: TransactionType
    party_b: str
    callback_token: str = field(repr=False)
    timeout_s: float = 10
    # The API operator ("initiator") the shop created on the M-Pesa org portal, and its password
    # encrypted with Safaricom's certificate: needed by Transaction Status and Reversal only, so
    # a boutique that only takes STK prompts may leave them out.
    initiator_name: str | None = None
    security_credential: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, values: Mapping[str, str]) -> DarajaConfig:
        """Read the deployment's values (`Settings.gateway_environment`), or them with a
        boutique's own keys (duka.orders.gateway_choice)."""
        shortcode = _required(values, "DARAJA_SHORTCODE")
        transaction_type = values.get("DARAJA_TRANSACTION_TYPE", "").strip()
        if transaction_type in ("", "CustomerPayBillOnline"):
            kind: TransactionType = "CustomerPayBillOnline"
            party_b = values.get("DARAJA_PARTY_B", "").strip() or shortcode
        elif transaction_type == "CustomerBuyGoodsOnline":
            kind = "CustomerBuyGoodsOnline"
            party_b = _required(values, "DARAJA_PARTY_B")
        else:
            raise GatewayConfigError(
                "DARAJA_TRANSACTION_TYPE must be CustomerPayBillOnline or CustomerBuyGoodsOnline"
            )
        return cls(
            base_url=values.get("DARAJA_BASE_URL", "").strip() or "https://api.safaricom.co.ke",
            consumer_key=_required(values, "DARAJA_CONSUMER_KEY"),
            consumer_secret=_required(values, "DARAJA_CONSUMER_SECRET"),
            passkey=_required(values, "DARAJA_PASSKEY"),
            shortcode=shortcode,
            transaction_type=kind,
            party_b=party_b,
            callback_token=_required(values, "DARAJA_CALLBACK_TOKEN"),
            initiator_name=values.get("DARAJA_INITIATOR_NAME", "").strip() or None,
            security_credential=values.get("DARAJA_SECURITY_CREDENTIAL", "").strip() or None,
        )


GatewayConfig = PayLinkConfig | DarajaConfig
GatewayFactory = Callable[[GatewayConfig], PaymentGateway]
_Entry = TypeVar("_Entry")


def registry(*entries: tuple[str, _Entry]) -> dict[str, _Entry]:
    """Build a name -> entry map, refusing a name registered twice."""
    built: dict[str, _Entry] = {}
    for name, entry in entries:
        if name in built:
            raise ValueError(f"payment gateway {name!r} is registered twice")
        built[name] = entry
    return built


# M-Pesa ResultCodes, as Daraja reports them (and PayLink may pass through).
_RESULT_OUTCOMES: dict[str, tuple[PaymentStatus, FailureReason | None]] = {
    "0": (PaymentStatus.PAID, None),
    "1": (PaymentStatus.FAILED, FailureReason.INSUFFICIENT_FUNDS),
    "1032": (PaymentStatus.CANCELLED, FailureReason.CANCELLED_BY_USER),
    "1037": (PaymentStatus.EXPIRED, FailureReason.PHONE_UNREACHABLE),
    "1019": (PaymentStatus.EXPIRED, FailureReason.EXPIRED),
    "2001": (PaymentStatus.FAILED, FailureReason.WRONG_PIN),
    "1001": (PaymentStatus.FAILED, FailureReason.SYSTEM_ERROR),
    "1025": (PaymentStatus.FAILED, FailureReason.SYSTEM_ERROR),
    "9999": (PaymentStatus.FAILED, FailureReason.SYSTEM_ERROR),
}


def result_code_text(code: object) -> str:
    """Normalise a ResultCode that may arrive as a number or a string."""
    text = str(code).strip()
    return str(int(text)) if text.isdigit() else text


def mpesa_outcome(code: object) -> tuple[PaymentStatus, FailureReason | None]:
    """How an M-Pesa ResultCode ends the payment; unknown codes are a failure of unknown cause."""
    return _RESULT_OUTCOMES.get(
        result_code_text(code), (PaymentStatus.FAILED, FailureReason.UNKNOWN)
    )


def whole_kes(value: object) -> int | None:
    """Read an amount sent as 2500, 2500.0 or "2500.00"; M-Pesa moves whole shillings only."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"amount {value!r} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"amount {value!r} is not a number") from exc
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValueError(f"amount {value!r} is not a whole number of shillings")
    return int(amount)


_FAILURE_MESSAGES: dict[str, dict[FailureReason, str]] = {
    "en": {
        FailureReason.CANCELLED_BY_USER: "You cancelled the M-Pesa prompt. Shall I send it again?",
        FailureReason.WRONG_PIN: "The M-Pesa PIN entered was incorrect. "
        "Shall I send the prompt again?",
        FailureReason.INSUFFICIENT_FUNDS: "Your M-Pesa balance was not enough for this payment. "
        "Top up and I can send the prompt again.",
        FailureReason.PHONE_UNREACHABLE: "The M-Pesa prompt could not reach your phone or got "
        "no answer. Check it is on and has network, then I can send it again.",
        FailureReason.EXPIRED: "The M-Pesa prompt expired before it was answered. "
        "Shall I send it again?",
        FailureReason.SYSTEM_ERROR: "M-Pesa had a temporary problem with this payment. "
        "Shall I try again?",
        FailureReason.UNKNOWN: "The M-Pesa payment did not go through. "
        "Shall I send the prompt again?",
    },
    "sw": {
        FailureReason.CANCELLED_BY_USER: "Ulighairi ombi la M-Pesa. Nikutumie tena?",
        FailureReason.WRONG_PIN: "Uliingiza PIN isiyo sahihi. Nikutumie ombi la M-Pesa tena?",
        FailureReason.INSUFFICIENT_FUNDS: "Salio lako la M-Pesa halitoshi kwa malipo haya. "
        "Ukiongeza salio, nitakutumia ombi tena.",
        FailureReason.PHONE_UNREACHABLE: "Ombi la M-Pesa halikufika kwenye simu yako au "
        "halikujibiwa. Hakikisha simu iko hewani na ina mtandao, kisha nitakutumia tena.",
        FailureReason.EXPIRED: "Muda wa ombi la M-Pesa uliisha kabla ya kujibiwa. Nikutumie tena?",
        FailureReason.SYSTEM_ERROR: "M-Pesa imepata hitilafu ya muda kwenye malipo haya. "
        "Nijaribu tena?",
        FailureReason.UNKNOWN: "Malipo ya M-Pesa hayakufaulu. Nikutumie ombi tena?",
    },
}


def failure_message(reason: FailureReason, language: str) -> str:
    """Customer words for a failed payment, offering a retry ("en" or "sw", else English)."""
    return _FAILURE_MESSAGES.get(language, _FAILURE_MESSAGES["en"])[reason]


def http_timeout(timeout_s: float) -> httpx.Timeout:
    """Connect fast: not connecting is the one failure after which a push may be retried."""
    return httpx.Timeout(timeout_s, connect=min(3.0, timeout_s))


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_s: float = 0.3

    def pause_before(self, attempt: int) -> None:
        time.sleep(self.backoff_s * 2 ** (attempt - 1))


# Failures that happen before a single byte of the request could reach the gateway.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def send_stk_push(
    client: httpx.Client,
    request: httpx.Request,
    retry: RetryPolicy,
    *,
    gateway: str,
    push: StkPushRequest,
) -> httpx.Response:
    """Send an STK push so that one order attempt can never prompt the customer twice.

    Retried only while the connection could not even be opened. After a read timeout, a dropped
    connection or a 5xx answer the gateway may already have prompted the customer (a 503 from a
    proxy in front of it proves nothing), so PaymentOutcomeUnknown is raised instead.
    """
    cause: httpx.TransportError | None = None
    for attempt in range(retry.attempts):
        if attempt:
            retry.pause_before(attempt)
        try:
            response = client.send(request)
        except _NEVER_SENT as exc:
            cause = exc
            continue
        except httpx.TransportError as exc:
            raise _outcome_unknown(gateway, push, type(exc).__name__) from exc
        if response.status_code >= 500:
            raise _outcome_unknown(gateway, push, f"HTTP {response.status_code}")
        return response
    raise GatewayUnavailable(
        f"{gateway} could not be reached ({type(cause).__name__}); no payment prompt was sent"
    ) from cause


def _outcome_unknown(gateway: str, push: StkPushRequest, problem: str) -> PaymentOutcomeUnknown:
    return PaymentOutcomeUnknown(
        f"{gateway} STK push for order {push.order_id} attempt {push.attempt} may have been "
        f"sent ({problem}); reconcile by callback or status query, never push it again",
        order_id=push.order_id,
        attempt=push.attempt,
    )


def _is_server_error(response: httpx.Response) -> bool:
    return response.status_code >= 500


def send_repeatable(
    client: httpx.Client,
    request: httpx.Request,
    retry: RetryPolicy,
    *,
    gateway: str,
    should_retry: Callable[[httpx.Response], bool] = _is_server_error,
) -> httpx.Response:
    """Send a request that is safe to repeat (token fetch, status query), retrying failures."""
    cause: httpx.TransportError | None = None
    problem = ""
    for attempt in range(retry.attempts):
        if attempt:
            retry.pause_before(attempt)
        try:
            response = client.send(request)
        except httpx.TransportError as exc:
            cause, problem = exc, type(exc).__name__
            continue
        if not should_retry(response):
            return response
        problem = f"HTTP {response.status_code}"
    raise GatewayUnavailable(
        f"{gateway} is unavailable ({problem} after {retry.attempts} attempts)"
    ) from cause


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response body as a JSON object, or {} when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class HttpGateway(ABC):
    """The skeleton every adapter shares: its HTTP client, the retry rule, a push sent at most
    once, and the refusals every gateway answers alike (rate limiting, a declined request).

    An adapter reads a refusal's message in its own shape (`_refusal`) and raises there for the
    refusals only it knows (rejected credentials, a stale token).
    """

    name: str
    label: str  # the gateway's name in messages ("PayLink")
    config_type: type[PayLinkConfig] | type[DarajaConfig]

    def __init__(
        self,
        config: GatewayConfig,
        *,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._client = httpx.Client(
            base_url=config.base_url, timeout=http_timeout(config.timeout_s), headers=headers
        )

    @classmethod
    def from_config(cls, config: GatewayConfig) -> Self:
        """The registry's factory: this gateway, if `config` is the kind it is built from."""
        if not isinstance(config, cls.config_type):
            raise GatewayConfigError(
                f"the {cls.name} gateway needs {cls.name.upper()}_* settings, "
                f"got {type(config).__name__}"
            )
        return cls(config)

    def close(self) -> None:
        self._client.close()

    def _send_push(self, push: StkPushRequest, request: httpx.Request) -> dict[str, Any]:
        """Send the push (never twice, see send_stk_push); its answer, refusals raised."""
        response = send_stk_push(self._client, request, self._retry, gateway=self.name, push=push)
        body = json_object(response)
        self._raise_for_refusal(response, body)
        return body

    def _accepted(
        self,
        push: StkPushRequest,
        checkout_request_id: object,
        *,
        unknown_outcome: str,
        mpesa_reference: object = None,
        customer_message: object = None,
    ) -> StkPushAccepted:
        """The accepted push; without a checkout id only a callback can tell how it ended."""
        if not isinstance(checkout_request_id, str) or not checkout_request_id:
            raise PaymentOutcomeUnknown(
                unknown_outcome, order_id=push.order_id, attempt=push.attempt
            )
        return StkPushAccepted(
            gateway=self.name,
            checkout_request_id=checkout_request_id,
            mpesa_reference=mpesa_reference if isinstance(mpesa_reference, str) else None,
            customer_message=customer_message if isinstance(customer_message, str) else None,
        )

    def _raise_for_refusal(self, response: httpx.Response, body: Mapping[str, Any]) -> None:
        if response.is_success:
            return
        message, code = self._refusal(response, body)
        if response.status_code == 429:
            raise GatewayUnavailable(f"{self.label} is rate limiting us: {message}")
        raise GatewayDeclined(f"{self.label} refused the request: {message}", code=code)

    @abstractmethod
    def _refusal(self, response: httpx.Response, body: Mapping[str, Any]) -> tuple[str, str | None]:
        """A refusal's message and code; raises itself for refusals only this gateway knows."""
