"""PayLink M-Pesa STK push adapter.

PayLink publishes no API documentation. Everything here that touches the wire is OUR ASSUMPTION,
taken from the design document and kept in this one module so it is easy to correct:

- push: `POST {PAYLINK_BASE_URL}/api/v1/stk-push` with JSON `phone` (E.164), `amount`,
  `reference` (the order id); headers `Authorization: Bearer <PAYLINK_API_KEY>` and
  `X-PayLink-Username: <PAYLINK_USERNAME>`; answer `status`, `checkout_request_id`,
  `mpesa_reference`; refusals answer 4xx with JSON `message`.
- status query: `GET {PAYLINK_BASE_URL}/api/v1/stk-push/<checkout_request_id>`, answered in
  the callback's shape with `status` "pending" until the customer responds.
- callback: `POST /webhook/paylink/callback` with JSON `status` ("success"/"failed"),
  `mpesa_reference`, `amount` (required: a callback without it is refused), `transaction_id`,
  optionally `reference`, `checkout_request_id`
  and, on failure, `reason` and/or an M-Pesa `result_code`; signed with header
  `X-PayLink-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed with
  PAYLINK_WEBHOOK_SECRET>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from duka.payments.base import (
    CallbackRejected,
    FailureReason,
    ForgedCallback,
    GatewayConfigError,
    GatewayUnavailable,
    HttpGateway,
    PayLinkConfig,
    PaymentResult,
    PaymentStatus,
    RetryPolicy,
    StkPushAccepted,
    StkPushRequest,
    json_object,
    mpesa_outcome,
    result_code_text,
    send_repeatable,
    whole_kes,
)
from duka.phone import normalize_kenyan_phone

PUSH_PATH = "/api/v1/stk-push"
USERNAME_HEADER = "X-PayLink-Username"
SIGNATURE_HEADER = "X-PayLink-Signature"

_REASONS: dict[str, tuple[PaymentStatus, FailureReason]] = {
    "cancelled": (PaymentStatus.CANCELLED, FailureReason.CANCELLED_BY_USER),
    "wrong_pin": (PaymentStatus.FAILED, FailureReason.WRONG_PIN),
    "insufficient_funds": (PaymentStatus.FAILED, FailureReason.INSUFFICIENT_FUNDS),
    "timeout": (PaymentStatus.EXPIRED, FailureReason.PHONE_UNREACHABLE),
    "unreachable": (PaymentStatus.EXPIRED, FailureReason.PHONE_UNREACHABLE),
    "expired": (PaymentStatus.EXPIRED, FailureReason.EXPIRED),
    "system_error": (PaymentStatus.FAILED, FailureReason.SYSTEM_ERROR),
}


def sign(body: bytes, secret: str) -> str:
    """The X-PayLink-Signature value for a raw callback body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class PayLinkGateway(HttpGateway):
    name = "paylink"
    config_type = PayLinkConfig
    label = "PayLink"

    def __init__(self, config: PayLinkConfig, *, retry: RetryPolicy | None = None) -> None:
        super().__init__(
            config,
            retry=retry,
            headers={"Authorization": f"Bearer {config.api_key}", USERNAME_HEADER: config.username},
        )
        self._config = config

    def callback_requires_confirmation(self) -> bool:
        return False

    def initiate_stk_push(self, request: StkPushRequest) -> StkPushAccepted:
        payload = {
            "phone": normalize_kenyan_phone(request.phone_e164),
            "amount": request.amount_kes,
            "reference": request.order_id,
        }
        http_request = self._client.build_request("POST", PUSH_PATH, json=payload)
        body = self._send_push(request, http_request)
        return self._accepted(
            request,
            body.get("checkout_request_id"),
            unknown_outcome=f"PayLink accepted the push for order {request.order_id} but sent no "
            "checkout_request_id; wait for its callback",
            mpesa_reference=body.get("mpesa_reference"),
        )

    def query_status(self, checkout_request_id: str) -> PaymentResult:
        http_request = self._client.build_request(
            "GET", f"{PUSH_PATH}/{quote(checkout_request_id, safe='')}"
        )
        response = send_repeatable(self._client, http_request, self._retry, gateway=self.name)
        body = json_object(response)
        self._raise_for_refusal(response, body)
        try:
            result = _payment_result(body)
            if result.status is PaymentStatus.PAID and result.amount_kes is None:
                raise ValueError("a payment without its amount cannot be checked")
            return result
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayUnavailable(f"PayLink sent an unreadable status: {exc}") from exc

    def parse_callback(
        self, *, headers: Mapping[str, str], body: bytes, path_token: str | None
    ) -> PaymentResult:
        signature = next(
            (value for key, value in headers.items() if key.lower() == SIGNATURE_HEADER.lower()),
            "",
        )
        expected = sign(body, self._config.webhook_secret)
        if not hmac.compare_digest(signature.strip().encode(), expected.encode()):
            raise ForgedCallback(f"PayLink callback has a missing or wrong {SIGNATURE_HEADER}")
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise TypeError("the body is not a JSON object")
            result = _payment_result(payload)
            if result.amount_kes is None:
                raise ValueError("no amount: every PayLink callback states what was asked or paid")
            return result
        except (KeyError, TypeError, ValueError) as exc:
            raise CallbackRejected(f"PayLink callback is malformed: {exc}") from exc

    def _refusal(self, response: httpx.Response, body: Mapping[str, Any]) -> tuple[str, str | None]:
        message = str(body.get("message") or response.reason_phrase)
        if response.status_code in (401, 403):
            raise GatewayConfigError(
                f"PayLink rejected PAYLINK_API_KEY / PAYLINK_USERNAME: {message}"
            )
        return message, None


def _payment_result(payload: Mapping[str, Any]) -> PaymentResult:
    status_text = payload["status"]
    failure_reason: FailureReason | None = None
    if status_text == "success":
        status = PaymentStatus.PAID
    elif status_text == "pending":
        status = PaymentStatus.PENDING
    elif status_text == "failed":
        status, failure_reason = _failure(payload)
    else:
        raise ValueError(f"unknown status {status_text!r}")
    identifiers = ("mpesa_reference", "checkout_request_id", "reference")
    if not any(_optional_str(payload, key) for key in identifiers):
        raise ValueError("no mpesa_reference, checkout_request_id or reference to match")
    result_code = payload.get("result_code")
    return PaymentResult(
        gateway=PayLinkGateway.name,
        status=status,
        checkout_request_id=_optional_str(payload, "checkout_request_id"),
        mpesa_reference=_optional_str(payload, "mpesa_reference"),
        order_reference=_optional_str(payload, "reference"),
        amount_kes=whole_kes(payload.get("amount")),
        transaction_id=_optional_str(payload, "transaction_id"),
        failure_reason=failure_reason,
        result_code=None if result_code is None else result_code_text(result_code),
        result_desc=_optional_str(payload, "reason"),
        raw=payload,
    )


def _failure(payload: Mapping[str, Any]) -> tuple[PaymentStatus, FailureReason]:
    reason = str(payload.get("reason") or "").strip().lower()
    if reason in _REASONS:
        return _REASONS[reason]
    if payload.get("result_code") is not None:
        status, failure = mpesa_outcome(payload["result_code"])
        if failure is not None:
            return status, failure
    return PaymentStatus.FAILED, FailureReason.UNKNOWN


def _optional_str(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{key} must be a string, got {value!r}")
    return str(value)
