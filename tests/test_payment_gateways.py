"""The PayLink and Daraja adapters against their loopback sandboxes, over real HTTP."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from duka.payments import (
    GATEWAYS,
    CallbackRejected,
    DarajaConfig,
    DarajaGateway,
    FailureReason,
    GatewayConfigError,
    GatewayDeclined,
    GatewayUnavailable,
    PayLinkConfig,
    PayLinkGateway,
    PaymentOutcomeUnknown,
    PaymentStatus,
    StkPushRequest,
    failure_message,
    gateway_from_settings,
)
from duka.payments.base import RetryPolicy, registry
from duka.payments.daraja import PUSH_PATH as DARAJA_PUSH_PATH
from duka.payments.daraja import TOKEN_PATH
from duka.payments.paylink import PUSH_PATH as PAYLINK_PUSH_PATH
from duka.payments.paylink import SIGNATURE_HEADER, sign
from duka_local.sandboxes.daraja_sandbox import DarajaSandbox
from duka_local.sandboxes.paylink_sandbox import PayLinkSandbox

WEBHOOK_SECRET = "paylink-webhook-secret"
CALLBACK_TOKEN = "daraja-path-token"
SHORTCODE = "174379"
PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
NO_WAIT = RetryPolicy(attempts=3, backoff_s=0)


@dataclass
class ReceivedCallback:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class CallbackReceiver:
    """Stands in for our webhook edge: records what the gateways post."""

    base_url: str = ""
    received: list[ReceivedCallback] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    recorder = CallbackReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            recorder.received.append(ReceivedCallback(self.path, dict(self.headers), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}).start()
    recorder.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield recorder
    server.shutdown()
    server.server_close()


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def push_request(**overrides: Any) -> StkPushRequest:
    fields: dict[str, Any] = {
        "order_id": "ord_7f3a",
        "attempt": 1,
        "phone_e164": "+254712345678",
        "amount_kes": 2500,
        "account_reference": "DUKA-7F3A",
        "description": "Ankara dress",
        "callback_url": "https://duka.example/webhook/daraja/callback",
    }
    return StkPushRequest(**(fields | overrides))


@pytest.fixture
def paylink_sandbox(receiver: CallbackReceiver) -> Iterator[PayLinkSandbox]:
    sandbox = PayLinkSandbox(
        api_key="pl-key",
        username="boutique",
        webhook_secret=WEBHOOK_SECRET,
        callback_url=f"{receiver.base_url}/webhook/paylink/callback",
    )
    sandbox.start()
    yield sandbox
    sandbox.stop()


def paylink_config(base_url: str, api_key: str = "pl-key") -> PayLinkConfig:
    return PayLinkConfig(
        base_url=base_url,
        api_key=api_key,
        username="boutique",
        webhook_secret=WEBHOOK_SECRET,
        timeout_s=0.5,
    )


@pytest.fixture
def paylink(paylink_sandbox: PayLinkSandbox) -> Iterator[PayLinkGateway]:
    gateway = PayLinkGateway(paylink_config(paylink_sandbox.base_url), retry=NO_WAIT)
    yield gateway
    gateway.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 1, 21, 30, 5, tzinfo=UTC))


@pytest.fixture
def daraja_sandbox() -> Iterator[DarajaSandbox]:
    sandbox = DarajaSandbox(
        consumer_key="ck", consumer_secret="cs", shortcode=SHORTCODE, passkey=PASSKEY
    )
    sandbox.start()
    yield sandbox
    sandbox.stop()


def daraja_config(base_url: str, **overrides: Any) -> DarajaConfig:
    fields: dict[str, Any] = {
        "base_url": base_url,
        "consumer_key": "ck",
        "consumer_secret": "cs",
        "passkey": PASSKEY,
        "shortcode": SHORTCODE,
        "transaction_type": "CustomerPayBillOnline",
        "party_b": SHORTCODE,
        "callback_token": CALLBACK_TOKEN,
        "timeout_s": 0.5,
    }
    return DarajaConfig(**(fields | overrides))


@pytest.fixture
def daraja(daraja_sandbox: DarajaSandbox, clock: FakeClock) -> Iterator[DarajaGateway]:
    gateway = DarajaGateway(daraja_config(daraja_sandbox.base_url), clock=clock, retry=NO_WAIT)
    yield gateway
    gateway.close()


# --- PayLink -------------------------------------------------------------------------------


def test_paylink_push_is_accepted_and_recorded_once_with_the_order_as_reference(
    paylink: PayLinkGateway, paylink_sandbox: PayLinkSandbox
) -> None:
    accepted = paylink.initiate_stk_push(push_request())

    [push] = paylink_sandbox.pushes
    assert accepted.gateway == "paylink"
    assert accepted.checkout_request_id == push.checkout_request_id
    assert accepted.mpesa_reference == push.merchant_reference
    assert push.request == {"phone": "+254712345678", "amount": 2500, "reference": "ord_7f3a"}


def test_paylink_rejecting_our_api_key_is_a_configuration_error_naming_it(
    paylink_sandbox: PayLinkSandbox,
) -> None:
    gateway = PayLinkGateway(paylink_config(paylink_sandbox.base_url, api_key="stale"))

    with pytest.raises(GatewayConfigError, match="PAYLINK_API_KEY"):
        gateway.initiate_stk_push(push_request())
    assert paylink_sandbox.pushes == []


def test_paylink_refusing_the_amount_is_a_final_decline(paylink: PayLinkGateway) -> None:
    with pytest.raises(GatewayDeclined, match="amount"):
        paylink.initiate_stk_push(push_request(amount_kes=0))


def test_paylink_503_on_push_means_outcome_unknown_and_is_never_retried(
    paylink: PayLinkGateway, paylink_sandbox: PayLinkSandbox
) -> None:
    # A 503 may come from a proxy after PayLink already prompted the customer.
    paylink_sandbox.fail_next(503)

    with pytest.raises(PaymentOutcomeUnknown) as raised:
        paylink.initiate_stk_push(push_request(attempt=2))

    assert (raised.value.order_id, raised.value.attempt) == ("ord_7f3a", 2)
    assert paylink_sandbox.request_count(PAYLINK_PUSH_PATH) == 1


def test_paylink_push_timing_out_means_outcome_unknown_with_exactly_one_push_sent(
    paylink: PayLinkGateway, paylink_sandbox: PayLinkSandbox
) -> None:
    paylink_sandbox.fail_next(hang=True)

    with pytest.raises(PaymentOutcomeUnknown):
        paylink.initiate_stk_push(push_request())

    assert paylink_sandbox.request_count(PAYLINK_PUSH_PATH) == 1
    assert len(paylink_sandbox.pushes) == 1


def test_unreachable_paylink_is_unavailable_and_safe_to_retry() -> None:
    gateway = PayLinkGateway(paylink_config(closed_port_url()), retry=NO_WAIT)

    with pytest.raises(GatewayUnavailable, match="no payment prompt was sent"):
        gateway.initiate_stk_push(push_request())


def test_sandbox_approval_posts_a_signed_callback_the_paylink_adapter_accepts(
    paylink: PayLinkGateway, paylink_sandbox: PayLinkSandbox, receiver: CallbackReceiver
) -> None:
    accepted = paylink.initiate_stk_push(push_request())

    paylink_sandbox.answer(accepted.checkout_request_id, "approve")

    [callback] = receiver.received
    assert callback.path == "/webhook/paylink/callback"
    result = paylink.parse_callback(headers=callback.headers, body=callback.body, path_token=None)
    assert result.status is PaymentStatus.PAID
    assert result.mpesa_reference == accepted.mpesa_reference
    assert result.order_reference == "ord_7f3a"
    assert result.amount_kes == 2500
    assert result.transaction_id == paylink_sandbox.pushes[0].transaction_id
    assert paylink.callback_requires_confirmation() is False


@pytest.mark.parametrize(
    ("action", "reason", "status", "failure"),
    [
        ("decline", None, PaymentStatus.FAILED, FailureReason.WRONG_PIN),
        ("decline", "insufficient_funds", PaymentStatus.FAILED, FailureReason.INSUFFICIENT_FUNDS),
        ("cancel", None, PaymentStatus.CANCELLED, FailureReason.CANCELLED_BY_USER),
        ("timeout", None, PaymentStatus.EXPIRED, FailureReason.PHONE_UNREACHABLE),
    ],
)
def test_paylink_failed_callbacks_say_why_the_customer_did_not_pay(
    paylink: PayLinkGateway,
    paylink_sandbox: PayLinkSandbox,
    receiver: CallbackReceiver,
    action: str,
    reason: str | None,
    status: PaymentStatus,
    failure: FailureReason,
) -> None:
    accepted = paylink.initiate_stk_push(push_request())
    paylink_sandbox.answer(accepted.checkout_request_id, action, reason=reason)

    [callback] = receiver.received
    result = paylink.parse_callback(headers=callback.headers, body=callback.body, path_token=None)
    assert (result.status, result.failure_reason) == (status, failure)


def test_paylink_failure_without_reason_falls_back_to_the_mpesa_result_code(
    paylink: PayLinkGateway,
) -> None:
    body = b'{"status": "failed", "mpesa_reference": "MPX1", "amount": 2500, "result_code": 1032}'

    result = paylink.parse_callback(
        headers={SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)}, body=body, path_token=None
    )

    assert (result.status, result.failure_reason) == (
        PaymentStatus.CANCELLED,
        FailureReason.CANCELLED_BY_USER,
    )
    assert result.result_code == "1032"


PAID_BODY = b'{"status": "success", "mpesa_reference": "MPX123", "amount": 2500}'


@pytest.mark.parametrize("status", ["success", "failed"])
def test_paylink_callback_without_an_amount_is_rejected_as_malformed(
    paylink: PayLinkGateway, status: str
) -> None:
    body = json.dumps({"status": status, "mpesa_reference": "MPX123"}).encode()

    with pytest.raises(CallbackRejected, match="no amount") as rejected:
        paylink.parse_callback(
            headers={SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)}, body=body, path_token=None
        )

    assert rejected.value.unauthenticated is False


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SIGNATURE_HEADER: ""},
        {SIGNATURE_HEADER: sign(PAID_BODY, "another-secret")},
        {SIGNATURE_HEADER: sign(PAID_BODY.replace(b"2500", b"25"), WEBHOOK_SECRET)},
    ],
    ids=["missing", "empty", "wrong-secret", "tampered-body"],
)
def test_paylink_callback_without_a_valid_signature_is_rejected_as_unauthenticated(
    paylink: PayLinkGateway, headers: dict[str, str]
) -> None:
    with pytest.raises(CallbackRejected) as raised:
        paylink.parse_callback(headers=headers, body=PAID_BODY, path_token=None)
    assert raised.value.unauthenticated


def test_paylink_callback_signature_header_is_matched_case_insensitively(
    paylink: PayLinkGateway,
) -> None:
    headers = {SIGNATURE_HEADER.lower(): sign(PAID_BODY, WEBHOOK_SECRET)}

    result = paylink.parse_callback(headers=headers, body=PAID_BODY, path_token=None)

    assert (result.status, result.amount_kes) == (PaymentStatus.PAID, 2500)


def test_signed_but_unreadable_paylink_callback_is_rejected_as_malformed(
    paylink: PayLinkGateway,
) -> None:
    body = b'{"status": "refunded", "mpesa_reference": "MPX1"}'

    with pytest.raises(CallbackRejected) as raised:
        paylink.parse_callback(
            headers={SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)}, body=body, path_token=None
        )
    assert not raised.value.unauthenticated


def test_paylink_outcome_with_a_lost_callback_is_found_by_status_query(
    paylink: PayLinkGateway, paylink_sandbox: PayLinkSandbox, receiver: CallbackReceiver
) -> None:
    accepted = paylink.initiate_stk_push(push_request())
    assert paylink.query_status(accepted.checkout_request_id).status is PaymentStatus.PENDING

    paylink_sandbox.answer(accepted.checkout_request_id, "approve", lose_callback=True)

    result = paylink.query_status(accepted.checkout_request_id)
    assert receiver.received == []
    assert result.status is PaymentStatus.PAID
    assert result.transaction_id == paylink_sandbox.pushes[0].transaction_id


# --- Daraja --------------------------------------------------------------------------------


def test_daraja_reuses_one_token_until_just_before_it_expires(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox, clock: FakeClock
) -> None:
    for _ in range(3):
        daraja.initiate_stk_push(push_request())
    assert daraja_sandbox.request_count(TOKEN_PATH) == 1

    clock.advance(3500)  # expires_in "3599", renewed a minute early
    daraja.initiate_stk_push(push_request())
    assert daraja_sandbox.request_count(TOKEN_PATH) == 1

    clock.advance(40)
    daraja.initiate_stk_push(push_request())
    assert daraja_sandbox.request_count(TOKEN_PATH) == 2
    assert len(daraja_sandbox.pushes) == 5


def test_daraja_push_is_stamped_in_nairobi_time_with_the_matching_password(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox
) -> None:
    accepted = daraja.initiate_stk_push(push_request())

    [push] = daraja_sandbox.pushes
    sent = push.request
    # 21:30:05 UTC on 1 March is 00:30:05 on 2 March in Nairobi.
    assert sent["Timestamp"] == "20250302003005"
    assert base64.b64decode(sent["Password"]).decode() == f"{SHORTCODE}{PASSKEY}20250302003005"
    assert sent["PartyA"] == sent["PhoneNumber"] == "254712345678"
    assert (sent["TransactionType"], sent["PartyB"]) == ("CustomerPayBillOnline", SHORTCODE)
    assert sent["Amount"] == 2500
    assert sent["CallBackURL"] == f"https://duka.example/webhook/daraja/callback/{CALLBACK_TOKEN}"
    assert accepted.checkout_request_id == push.checkout_request_id
    assert accepted.customer_message == "Success. Request accepted for processing"


def test_daraja_cuts_account_reference_and_description_to_their_limits(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox
) -> None:
    daraja.initiate_stk_push(
        push_request(account_reference="DUKA-ORDER-0001234", description="Ankara maxi dress x2")
    )

    [push] = daraja_sandbox.pushes
    assert push.request["AccountReference"] == "DUKA-ORDER-0"
    assert push.request["TransactionDesc"] == "Ankara maxi d"


def test_daraja_till_sends_buy_goods_with_the_till_as_party_b(clock: FakeClock) -> None:
    sandbox = DarajaSandbox(
        consumer_key="ck",
        consumer_secret="cs",
        shortcode=SHORTCODE,
        passkey=PASSKEY,
        party_b="5432109",
    )
    base_url = sandbox.start()
    config = daraja_config(base_url, transaction_type="CustomerBuyGoodsOnline", party_b="5432109")
    try:
        DarajaGateway(config, clock=clock).initiate_stk_push(push_request())
    finally:
        sandbox.stop()

    [push] = sandbox.pushes
    assert (push.request["TransactionType"], push.request["PartyB"]) == (
        "CustomerBuyGoodsOnline",
        "5432109",
    )


def test_daraja_refusing_the_push_is_a_final_decline_with_its_error_code(
    daraja: DarajaGateway,
) -> None:
    with pytest.raises(GatewayDeclined, match="Invalid Amount") as raised:
        daraja.initiate_stk_push(push_request(amount_kes=0))
    assert raised.value.code == "400.002.02"


def test_daraja_5xx_on_push_means_outcome_unknown_and_is_never_retried(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox
) -> None:
    daraja_sandbox.fail_next(500)

    with pytest.raises(PaymentOutcomeUnknown):
        daraja.initiate_stk_push(push_request())
    assert daraja_sandbox.request_count(DARAJA_PUSH_PATH) == 1


def test_daraja_push_timing_out_means_outcome_unknown_with_exactly_one_push_sent(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox
) -> None:
    daraja_sandbox.fail_next(hang=True)

    with pytest.raises(PaymentOutcomeUnknown):
        daraja.initiate_stk_push(push_request())
    assert daraja_sandbox.request_count(DARAJA_PUSH_PATH) == 1


def test_daraja_token_fetch_is_retried_on_server_errors(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox
) -> None:
    daraja_sandbox.fail_next(503, path=TOKEN_PATH, count=2)

    daraja.initiate_stk_push(push_request())

    assert daraja_sandbox.request_count(TOKEN_PATH) == 3
    assert len(daraja_sandbox.pushes) == 1


def test_daraja_rejected_token_is_dropped_so_the_next_push_fetches_a_fresh_one(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox
) -> None:
    daraja.initiate_stk_push(push_request())
    daraja_sandbox.revoke_tokens()

    with pytest.raises(GatewayUnavailable, match="access token"):
        daraja.initiate_stk_push(push_request(attempt=2))
    daraja.initiate_stk_push(push_request(attempt=2))

    assert daraja_sandbox.request_count(TOKEN_PATH) == 2
    assert len(daraja_sandbox.pushes) == 2


def test_daraja_rejecting_our_consumer_secret_is_a_configuration_error_naming_it(
    daraja_sandbox: DarajaSandbox, clock: FakeClock
) -> None:
    config = daraja_config(daraja_sandbox.base_url, consumer_secret="wrong")

    with pytest.raises(GatewayConfigError, match="DARAJA_CONSUMER_SECRET"):
        DarajaGateway(config, clock=clock).initiate_stk_push(push_request())


def daraja_callback(
    result_code: int | str,
    items: list[dict[str, Any]] | None = None,
    checkout_request_id: str = "ws_CO_191220191020363925",
) -> bytes:
    callback: dict[str, Any] = {
        "MerchantRequestID": "29115-34620561-1",
        "CheckoutRequestID": checkout_request_id,
        "ResultCode": result_code,
        "ResultDesc": "described",
    }
    if items is not None:
        callback["CallbackMetadata"] = {"Item": items}
    return json.dumps({"Body": {"stkCallback": callback}}).encode()


@pytest.mark.parametrize(
    ("result_code", "status", "failure"),
    [
        (1032, PaymentStatus.CANCELLED, FailureReason.CANCELLED_BY_USER),
        (1037, PaymentStatus.EXPIRED, FailureReason.PHONE_UNREACHABLE),
        (2001, PaymentStatus.FAILED, FailureReason.WRONG_PIN),
        (1, PaymentStatus.FAILED, FailureReason.INSUFFICIENT_FUNDS),
        (1019, PaymentStatus.EXPIRED, FailureReason.EXPIRED),
        ("9999", PaymentStatus.FAILED, FailureReason.SYSTEM_ERROR),
        (4242, PaymentStatus.FAILED, FailureReason.UNKNOWN),
    ],
)
def test_daraja_failed_callbacks_say_why_the_customer_did_not_pay(
    daraja: DarajaGateway, result_code: int, status: PaymentStatus, failure: FailureReason
) -> None:
    result = daraja.parse_callback(
        headers={}, body=daraja_callback(result_code), path_token=CALLBACK_TOKEN
    )

    assert (result.status, result.failure_reason) == (status, failure)
    assert result.result_code == str(result_code)
    assert (result.amount_kes, result.transaction_id) == (None, None)


def test_daraja_paid_callback_metadata_is_read_by_name_skipping_items_without_value(
    daraja: DarajaGateway,
) -> None:
    items: list[dict[str, Any]] = [
        {"Name": "PhoneNumber", "Value": 254712345678},
        {"Name": "Balance"},
        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
        {"Name": "Amount", "Value": 2500.0},
        {"Name": "TransactionDate", "Value": 20250302003005},
    ]

    result = daraja.parse_callback(
        headers={}, body=daraja_callback(0, items), path_token=CALLBACK_TOKEN
    )

    assert result.status is PaymentStatus.PAID
    assert (result.amount_kes, result.transaction_id) == (2500, "NLJ7RT61SV")
    assert result.checkout_request_id == "ws_CO_191220191020363925"
    assert daraja.callback_requires_confirmation() is True


@pytest.mark.parametrize("token", [None, "", "daraja-path-tokeN", "guess"])
def test_daraja_callback_with_a_wrong_path_token_is_rejected_as_unauthenticated(
    daraja: DarajaGateway, token: str | None
) -> None:
    with pytest.raises(CallbackRejected) as raised:
        daraja.parse_callback(headers={}, body=daraja_callback(0), path_token=token)
    assert raised.value.unauthenticated


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"Body": {}}', daraja_callback(0, checkout_request_id="")],
    ids=["not-json", "not-an-object", "no-stkCallback", "nothing-to-match-the-order-by"],
)
def test_unreadable_daraja_callback_is_rejected_as_malformed(
    daraja: DarajaGateway, body: bytes
) -> None:
    with pytest.raises(CallbackRejected) as raised:
        daraja.parse_callback(headers={}, body=body, path_token=CALLBACK_TOKEN)
    assert not raised.value.unauthenticated


def test_daraja_query_is_pending_until_the_customer_answers_then_reads_a_string_result_code(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox
) -> None:
    accepted = daraja.initiate_stk_push(push_request())
    assert daraja.query_status(accepted.checkout_request_id).status is PaymentStatus.PENDING

    daraja_sandbox.answer(accepted.checkout_request_id, "cancel", lose_callback=True)

    result = daraja.query_status(accepted.checkout_request_id)
    assert (result.status, result.failure_reason) == (
        PaymentStatus.CANCELLED,
        FailureReason.CANCELLED_BY_USER,
    )
    assert result.result_code == "1032"


def test_daraja_query_is_retried_on_server_errors(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox
) -> None:
    accepted = daraja.initiate_stk_push(push_request())
    daraja_sandbox.answer(accepted.checkout_request_id, "approve", lose_callback=True)
    daraja_sandbox.fail_next(503, path="/mpesa/stkpushquery/v1/query")

    assert daraja.query_status(accepted.checkout_request_id).status is PaymentStatus.PAID


def test_sandbox_approval_posts_a_callback_the_daraja_adapter_accepts_and_query_confirms(
    daraja_sandbox: DarajaSandbox, clock: FakeClock, receiver: CallbackReceiver
) -> None:
    gateway = DarajaGateway(daraja_config(daraja_sandbox.base_url), clock=clock)
    callback_url = f"{receiver.base_url}/webhook/daraja/callback"
    accepted = gateway.initiate_stk_push(push_request(callback_url=callback_url))

    daraja_sandbox.answer(accepted.checkout_request_id, "approve")

    [callback] = receiver.received
    token = callback.path.rsplit("/", 1)[-1]
    result = gateway.parse_callback(headers=callback.headers, body=callback.body, path_token=token)
    assert result.status is PaymentStatus.PAID
    assert result.checkout_request_id == accepted.checkout_request_id
    assert result.amount_kes == 2500
    assert result.transaction_id == daraja_sandbox.pushes[0].transaction_id
    assert gateway.query_status(accepted.checkout_request_id).status is PaymentStatus.PAID


def test_sandbox_cancellation_posts_a_daraja_callback_without_metadata(
    daraja: DarajaGateway, daraja_sandbox: DarajaSandbox, receiver: CallbackReceiver
) -> None:
    callback_url = f"{receiver.base_url}/webhook/daraja/callback"
    accepted = daraja.initiate_stk_push(push_request(callback_url=callback_url))

    daraja_sandbox.answer(accepted.checkout_request_id, "cancel")

    [callback] = receiver.received
    assert "CallbackMetadata" not in json.loads(callback.body)["Body"]["stkCallback"]
    result = daraja.parse_callback(headers={}, body=callback.body, path_token=CALLBACK_TOKEN)
    assert result.failure_reason is FailureReason.CANCELLED_BY_USER


# --- Registry, settings, customer words ----------------------------------------------------


def test_registry_offers_paylink_and_daraja() -> None:
    assert set(GATEWAYS) == {"paylink", "daraja"}


def test_registering_a_gateway_name_twice_fails_loudly() -> None:
    with pytest.raises(ValueError, match="twice"):
        registry(("paylink", 1), ("paylink", 2))


def test_gateway_is_built_from_the_settings_a_boutique_chose() -> None:
    values = {
        "DARAJA_CONSUMER_KEY": "ck",
        "DARAJA_CONSUMER_SECRET": "cs",
        "DARAJA_PASSKEY": PASSKEY,
        "DARAJA_SHORTCODE": SHORTCODE,
        "DARAJA_CALLBACK_TOKEN": CALLBACK_TOKEN,
    }

    gateway = gateway_from_settings("daraja", values)

    assert gateway.name == "daraja"
    with pytest.raises(GatewayConfigError, match="DARAJA_PASSKEY"):
        gateway_from_settings("daraja", values | {"DARAJA_PASSKEY": " "})
    with pytest.raises(GatewayConfigError, match="DARAJA_PARTY_B"):
        gateway_from_settings(
            "daraja", values | {"DARAJA_TRANSACTION_TYPE": "CustomerBuyGoodsOnline"}
        )
    with pytest.raises(GatewayConfigError, match="PAYLINK_API_KEY"):
        gateway_from_settings("paylink", {})
    with pytest.raises(GatewayConfigError, match="unknown payment gateway 'mpesa'"):
        gateway_from_settings("mpesa", values)


def test_gateway_settings_never_show_secrets_in_their_repr() -> None:
    config = daraja_config("http://127.0.0.1", consumer_secret="s3cr3t", passkey="pk-s3cr3t")

    assert "s3cr3t" not in repr(config)


@pytest.mark.parametrize("reason", list(FailureReason))
def test_every_failure_has_its_own_customer_words_in_english_and_swahili(
    reason: FailureReason,
) -> None:
    english, swahili = failure_message(reason, "en"), failure_message(reason, "sw")

    assert english and swahili and english != swahili
    assert english.endswith("?") or "again" in english
    assert failure_message(reason, "fr") == english
    others = {failure_message(other, "en") for other in FailureReason if other is not reason}
    assert english not in others
