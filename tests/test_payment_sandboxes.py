"""The PayLink and Daraja sandboxes answer raw HTTP the way the real gateways do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from duka.payments.daraja import nairobi_timestamp, stk_password
from duka_local.sandboxes.daraja_sandbox import DarajaSandbox
from duka_local.sandboxes.paylink_sandbox import PayLinkSandbox

SHORTCODE = "174379"
PASSKEY = "passkey"
# Nobody listens here; answered pushes record the failed delivery instead.
UNUSED_CALLBACK_URL = "http://127.0.0.1:9/callback"


@pytest.fixture
def paylink_sandbox() -> Iterator[PayLinkSandbox]:
    sandbox = PayLinkSandbox(
        api_key="pl-key", username="boutique", webhook_secret="s", callback_url=UNUSED_CALLBACK_URL
    )
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def paylink(paylink_sandbox: PayLinkSandbox) -> Iterator[httpx.Client]:
    headers = {"Authorization": "Bearer pl-key", "X-PayLink-Username": "boutique"}
    with httpx.Client(base_url=paylink_sandbox.base_url, headers=headers, timeout=2) as client:
        yield client


def paylink_push(client: httpx.Client, **overrides: Any) -> httpx.Response:
    body = {"phone": "+254712345678", "amount": 1500, "reference": "ord_1"} | overrides
    return client.post("/api/v1/stk-push", json=body)


@pytest.fixture
def daraja_sandbox() -> Iterator[DarajaSandbox]:
    sandbox = DarajaSandbox(
        consumer_key="ck", consumer_secret="cs", shortcode=SHORTCODE, passkey=PASSKEY
    )
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def daraja(daraja_sandbox: DarajaSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=daraja_sandbox.base_url, timeout=2) as client:
        token = client.get(
            "/oauth/v1/generate", params={"grant_type": "client_credentials"}, auth=("ck", "cs")
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def credentials(password: str | None = None) -> dict[str, str]:
    timestamp = nairobi_timestamp(datetime.now(UTC))
    return {
        "BusinessShortCode": SHORTCODE,
        "Password": password or stk_password(SHORTCODE, PASSKEY, timestamp),
        "Timestamp": timestamp,
    }


def daraja_push(client: httpx.Client, **overrides: Any) -> httpx.Response:
    body = credentials() | {
        "TransactionType": "CustomerPayBillOnline",
        "Amount": 1500,
        "PartyA": "254712345678",
        "PartyB": SHORTCODE,
        "PhoneNumber": "254712345678",
        "CallBackURL": UNUSED_CALLBACK_URL,
        "AccountReference": "DUKA-1",
        "TransactionDesc": "Ankara dress",
    }
    return client.post("/mpesa/stkpush/v1/processrequest", json=body | overrides)


# --- PayLink -------------------------------------------------------------------------------


def test_paylink_sandbox_answers_a_push_as_pending_with_its_references(
    paylink: httpx.Client,
) -> None:
    response = paylink_push(paylink)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending"
    assert body["checkout_request_id"].startswith("ws_CO_")
    assert body["mpesa_reference"].startswith("MPX")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer pl-key"},
        {"Authorization": "Bearer x", "X-PayLink-Username": "boutique"},
    ],
)
def test_paylink_sandbox_refuses_pushes_without_our_key_and_username(
    paylink_sandbox: PayLinkSandbox, headers: dict[str, str]
) -> None:
    response = httpx.post(
        f"{paylink_sandbox.base_url}/api/v1/stk-push",
        json={"phone": "+254712345678", "amount": 1, "reference": "ord_1"},
        headers=headers,
    )

    assert response.status_code == 401
    assert paylink_sandbox.pushes == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "+254812345678"), ("phone", "0712345678"), ("amount", 0), ("amount", 10.5)],
)
def test_paylink_sandbox_refuses_a_bad_phone_or_amount(
    paylink: httpx.Client, field: str, value: object
) -> None:
    response = paylink_push(paylink, **{field: value})

    assert response.status_code == 400
    assert response.json()["status"] == "error"


def test_paylink_sandbox_status_query_follows_the_customer_answer(paylink: httpx.Client) -> None:
    checkout_request_id = paylink_push(paylink).json()["checkout_request_id"]
    before = paylink.get(f"/api/v1/stk-push/{checkout_request_id}").json()

    answer = paylink.post(
        "/_sandbox/pushes/ord_1/decline", json={"reason": "insufficient_funds"}
    ).json()["push"]

    after = paylink.get(f"/api/v1/stk-push/{checkout_request_id}").json()
    assert before["status"] == "pending"
    assert (after["status"], after["reason"]) == ("failed", "insufficient_funds")
    assert answer["callback_status"] is None and "ConnectError" in answer["callback_error"]
    assert paylink.get("/api/v1/stk-push/ws_CO_unknown").status_code == 404


def test_paylink_sandbox_control_api_lists_pushes_and_refuses_impossible_answers(
    paylink: httpx.Client,
) -> None:
    mpesa_reference = paylink_push(paylink).json()["mpesa_reference"]

    answered = paylink.post(
        f"/_sandbox/pushes/{mpesa_reference}/approve", json={"lose_callback": True}
    )
    again = paylink.post(f"/_sandbox/pushes/{mpesa_reference}/cancel")
    unknown = paylink.post("/_sandbox/pushes/MPXNOPE/approve")
    bad_reason = paylink.post("/_sandbox/pushes/MPXNOPE/cancel", json={"reason": "wrong_pin"})

    [listed] = paylink.get("/_sandbox/pushes").json()["pushes"]
    assert answered.status_code == 200
    assert (listed["status"], listed["transaction_id"][0]) == ("success", "Q")
    assert listed["callback_status"] is None and listed["callback_error"] is None
    assert (again.status_code, unknown.status_code, bad_reason.status_code) == (409, 404, 400)


def test_paylink_sandbox_fails_only_the_next_push_when_told_to(paylink: httpx.Client) -> None:
    assert paylink.post("/_sandbox/fail_next", json={"status": 503}).status_code == 200

    failed, succeeded = paylink_push(paylink), paylink_push(paylink)

    assert (failed.status_code, succeeded.status_code) == (503, 200)
    assert len(paylink.get("/_sandbox/pushes").json()["pushes"]) == 1
    assert paylink.post("/_sandbox/fail_next", json={}).status_code == 400


def test_hanging_sandbox_request_is_released_when_the_sandbox_stops(
    paylink_sandbox: PayLinkSandbox, paylink: httpx.Client
) -> None:
    paylink_sandbox.fail_next(hang=True)
    paylink.timeout = httpx.Timeout(0.2)
    with pytest.raises(httpx.ReadTimeout):
        paylink_push(paylink)

    started = time.monotonic()
    paylink_sandbox.stop()

    assert time.monotonic() - started < 1


# --- Daraja --------------------------------------------------------------------------------


def test_daraja_sandbox_issues_tokens_with_expires_in_as_a_string(
    daraja_sandbox: DarajaSandbox,
) -> None:
    url = f"{daraja_sandbox.base_url}/oauth/v1/generate"

    issued = httpx.get(url, params={"grant_type": "client_credentials"}, auth=("ck", "cs"))
    wrong_secret = httpx.get(url, params={"grant_type": "client_credentials"}, auth=("ck", "x"))
    wrong_grant = httpx.get(url, params={"grant_type": "password"}, auth=("ck", "cs"))

    assert issued.json()["expires_in"] == "3599"
    assert (wrong_secret.status_code, wrong_secret.json()["errorCode"]) == (400, "400.008.01")
    assert (wrong_grant.status_code, wrong_grant.json()["errorCode"]) == (400, "400.008.02")


def test_daraja_sandbox_accepts_a_valid_push(daraja: httpx.Client) -> None:
    body = daraja_push(daraja).json()

    assert body["ResponseCode"] == "0"
    assert body["CheckoutRequestID"].startswith("ws_CO_")
    assert body["MerchantRequestID"]


def test_daraja_sandbox_refuses_pushes_without_a_valid_token(
    daraja_sandbox: DarajaSandbox, daraja: httpx.Client
) -> None:
    daraja_sandbox.revoke_tokens()

    response = daraja_push(daraja)

    assert response.status_code == 401
    assert response.json()["errorMessage"] == "Invalid Access Token"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"Password": "d3Jvbmc="}, "Password"),
        ({"Timestamp": "2025-03-02 00:30"}, "Timestamp"),
        ({"BusinessShortCode": "600000"}, "BusinessShortCode"),
        ({"Amount": 0}, "Amount"),
        ({"Amount": 10.5}, "Amount"),
        ({"PhoneNumber": "0712345678"}, "PhoneNumber"),
        ({"PartyA": "+254712345678"}, "PartyA"),
        ({"PartyB": "999999"}, "PartyB"),
        ({"TransactionType": "CustomerPayBill"}, "TransactionType"),
        ({"AccountReference": "DUKA-ORDER-0001"}, "AccountReference"),
        ({"TransactionDesc": "Ankara maxi dress"}, "TransactionDesc"),
        ({"CallBackURL": "duka.example/cb"}, "CallBackURL"),
    ],
)
def test_daraja_sandbox_refuses_invalid_fields_with_a_daraja_error(
    daraja: httpx.Client, overrides: dict[str, Any], field: str
) -> None:
    response = daraja_push(daraja, **overrides)

    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "400.002.02"
    assert body["errorMessage"] == f"Bad Request - Invalid {field}"
    assert body["requestId"]


def test_daraja_sandbox_query_says_processing_until_answered_then_gives_a_string_code(
    daraja_sandbox: DarajaSandbox, daraja: httpx.Client
) -> None:
    checkout_request_id = daraja_push(daraja).json()["CheckoutRequestID"]
    query = credentials() | {"CheckoutRequestID": checkout_request_id}

    processing = daraja.post("/mpesa/stkpushquery/v1/query", json=query)
    daraja_sandbox.answer(checkout_request_id, "timeout", lose_callback=True)
    done = daraja.post("/mpesa/stkpushquery/v1/query", json=query)
    unknown = daraja.post(
        "/mpesa/stkpushquery/v1/query", json=query | {"CheckoutRequestID": "ws_CO_nope"}
    )

    assert processing.status_code == 500
    assert processing.json()["errorCode"] == "500.001.1001"
    assert processing.json()["errorMessage"] == "The transaction is being processed"
    assert done.status_code == 200
    assert (done.json()["ResultCode"], done.json()["ResultDesc"]) == (
        "1037",
        "DS timeout user cannot be reached",
    )
    assert unknown.status_code == 400
