"""Daraja's Reversal API on the wire: our client against the Daraja sandbox over real HTTP, and
the results M-Pesa posts back read as the refund rules need them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from duka.payments import CallbackRejected, DarajaConfig, DarajaGateway, GatewayConfigError
from duka.payments.base import RetryPolicy
from duka.payments.daraja_reversal import (
    ReversalRequest,
    ReversalResult,
    parse_result,
    request_reversal,
)
from duka_local.sandboxes.daraja_reversal_sandbox import reversal_desk
from duka_local.sandboxes.daraja_sandbox import DarajaSandbox, MpesaTransaction

SHORTCODE = "174379"
INITIATOR = "duka-api"
CREDENTIAL = "encrypted-operator-password"
NO_WAIT = RetryPolicy(attempts=3, backoff_s=0)


class Notices:
    """Stands in for our webhook edge: what M-Pesa posts to the result and timeout URLs."""

    def __init__(self) -> None:
        self.base_url = ""
        self.received: list[tuple[str, bytes]] = []

    def wait(self, count: int = 1, timeout: float = 5) -> list[tuple[str, bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)


@pytest.fixture
def notices() -> Iterator[Notices]:
    recorder = Notices()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            recorder.received.append((self.path, body))
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


@pytest.fixture
def sandbox() -> Iterator[DarajaSandbox]:
    daraja = DarajaSandbox(
        consumer_key="ck",
        consumer_secret="cs",
        shortcode=SHORTCODE,
        passkey="pk",
        initiator_name=INITIATOR,
        security_credential=CREDENTIAL,
    )
    daraja.start()
    daraja.record_transaction(
        MpesaTransaction(
            receipt="QKT1ABCDE2",
            amount_kes=2800,
            shortcode=SHORTCODE,
            msisdn="254712345678",
            completed_at=datetime.now(UTC),
            kind="stk",
        )
    )
    yield daraja
    daraja.stop()


def gateway_for(sandbox: DarajaSandbox, **overrides: Any) -> DarajaGateway:
    fields: dict[str, Any] = {
        "base_url": sandbox.base_url,
        "consumer_key": "ck",
        "consumer_secret": "cs",
        "passkey": "pk",
        "shortcode": SHORTCODE,
        "transaction_type": "CustomerPayBillOnline",
        "party_b": SHORTCODE,
        "callback_token": "token",
        "timeout_s": 2,
        "initiator_name": INITIATOR,
        "security_credential": CREDENTIAL,
    }
    return DarajaGateway(DarajaConfig(**(fields | overrides)), retry=NO_WAIT)


def reverse(
    sandbox: DarajaSandbox,
    notices: Notices,
    amount: int,
    receipt: str = "QKT1ABCDE2",
    **overrides: Any,
) -> Any:
    return request_reversal(
        gateway_for(sandbox, **overrides),
        ReversalRequest(
            receipt=receipt,
            amount_kes=amount,
            result_url=notices.base_url + "/result",
            timeout_url=notices.base_url + "/timeout",
            remarks="wrong size",
            occasion="Order 1a2b3c4d",
        ),
        retry=NO_WAIT,
    )


def result_of(notice: tuple[str, bytes]) -> ReversalResult:
    path, body = notice
    return parse_result(body, timed_out=path == "/timeout")


def test_a_part_refund_is_requested_in_darajas_own_words_and_m_pesa_reports_it_done(
    sandbox, notices
):
    accepted = reverse(sandbox, notices, 1000)

    [reversal] = reversal_desk(sandbox).reversals
    assert reversal.request == {
        "Initiator": INITIATOR,
        "SecurityCredential": CREDENTIAL,
        "CommandID": "TransactionReversal",
        "TransactionID": "QKT1ABCDE2",
        "Amount": 1000,
        "ReceiverParty": SHORTCODE,
        "RecieverIdentifierType": "11",
        "ResultURL": notices.base_url + "/result",
        "QueueTimeOutURL": notices.base_url + "/timeout",
        "Remarks": "wrong size",
        "Occasion": "Order 1a2b3c4d",
    }
    assert accepted.conversation_id == reversal.conversation_id
    [notice] = notices.wait()
    result = result_of(notice)
    assert notice[0] == "/result"
    assert (result.done, result.result_code) == (True, "0")
    assert result.conversation_id == accepted.conversation_id
    assert result.originator_conversation_id == accepted.originator_conversation_id
    assert (result.original_receipt, result.amount_kes) == ("QKT1ABCDE2", 1000)
    assert result.reversal_receipt and result.reversal_receipt != "QKT1ABCDE2"
    assert sandbox.find_transaction("QKT1ABCDE2").reversed_kes == 1000


def test_m_pesa_fails_a_reversal_of_more_than_remains_or_of_an_unknown_receipt(sandbox, notices):
    reverse(sandbox, notices, 2000)
    notices.wait(1)
    reverse(sandbox, notices, 1000)  # only 800 is left of the 2,800
    reverse(sandbox, notices, 500, receipt="QZZ9ZZZZZ9")

    results = {r.conversation_id: r for r in map(result_of, notices.wait(3))}
    by_request = [results[r.conversation_id] for r in reversal_desk(sandbox).reversals]
    assert [(r.done, r.result_code) for r in by_request] == [
        (True, "0"),
        (False, "1"),
        (False, "R000002"),
    ]
    assert by_request[2].result_desc == "The OriginalTransactionID is invalid."
    assert sandbox.find_transaction("QKT1ABCDE2").reversed_kes == 2000


def test_a_wrong_operator_credential_fails_with_m_pesas_initiator_error(sandbox, notices):
    reverse(sandbox, notices, 100, security_credential="not-the-password")

    [result] = map(result_of, notices.wait())
    assert (result.done, result.result_code) == (False, "2001")
    assert sandbox.find_transaction("QKT1ABCDE2").reversed_kes == 0


def test_a_request_dropped_from_m_pesas_queue_is_reported_at_the_timeout_url(sandbox, notices):
    reversal_desk(sandbox).force_next("timeout")

    reverse(sandbox, notices, 100)

    [notice] = notices.wait()
    assert notice[0] == "/timeout"
    result = result_of(notice)
    assert result.done is False and result.reversal_receipt is None
    assert sandbox.find_transaction("QKT1ABCDE2").reversed_kes == 0


def test_a_token_daraja_stopped_taking_is_renewed_and_the_reversal_sent_once(sandbox, notices):
    gateway = gateway_for(sandbox)
    gateway.fresh_access_token()
    sandbox.revoke_tokens()

    request_reversal(
        gateway,
        ReversalRequest(
            "QKT1ABCDE2", 300, f"{notices.base_url}/r", f"{notices.base_url}/t", "", ""
        ),
        retry=NO_WAIT,
    )

    assert len(reversal_desk(sandbox).reversals) == 1
    assert result_of(notices.wait()[0]).done is True


def test_a_boutique_without_an_api_operator_cannot_reverse(sandbox, notices):
    with pytest.raises(GatewayConfigError, match="DARAJA_INITIATOR_NAME"):
        reverse(sandbox, notices, 100, initiator_name=None)
    assert reversal_desk(sandbox).reversals == []


def test_an_unreadable_result_is_rejected():
    with pytest.raises(CallbackRejected):
        parse_result(b'{"Result": {"ResultCode": 0}}')
    with pytest.raises(CallbackRejected):
        parse_result(json.dumps({"Body": {}}).encode())
