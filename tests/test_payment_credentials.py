"""Payment credentials belong to their boutique: whose keys go where, checked at the wire.

The platform's gateway and a URL a boutique's secret might name are both loopback servers that
record every request, so "the platform's keys never reach that URL" is asserted on what
actually arrived, not on how the gateway was built.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from duka.orders import gateway_choice
from duka.payments import GatewayConfigError, StkPushRequest
from duka.secrets import env_var_name

PLATFORM_ENV = {
    "PAYLINK_API_KEY": "platform-paylink-api-key",
    "PAYLINK_USERNAME": "platform-paylink-user",
    "PAYLINK_WEBHOOK_SECRET": "platform-paylink-webhook-secret",
    "DARAJA_CONSUMER_KEY": "platform-daraja-consumer-key",
    "DARAJA_CONSUMER_SECRET": "platform-daraja-consumer-secret",
    "DARAJA_PASSKEY": "platform-daraja-passkey",
    "DARAJA_SHORTCODE": "600000",
    "DARAJA_CALLBACK_TOKEN": "platform-daraja-callback-token",
}
OWN_KEYS = {
    "paylink": {"PAYLINK_API_KEY": "nyota-api-key", "PAYLINK_USERNAME": "nyota"},
    "daraja": {
        "DARAJA_CONSUMER_KEY": "nyota-consumer-key",
        "DARAJA_CONSUMER_SECRET": "nyota-consumer-secret",
        "DARAJA_PASSKEY": "nyota-passkey",
        "DARAJA_SHORTCODE": "174379",
    },
}
ANSWERS = {
    "/oauth/v1/generate": {"access_token": "issued-token", "expires_in": "3599"},
    "/mpesa/stkpush/v1/processrequest": {
        "ResponseCode": "0",
        "CheckoutRequestID": "ws_CO_1",
        "MerchantRequestID": "m-1",
        "CustomerMessage": "Success",
    },
    "/api/v1/stk-push": {"status": "pending", "checkout_request_id": "pl-1"},
}
TERRAFORM = Path(__file__).resolve().parents[1] / "infra" / "terraform"


@dataclass
class Recorder:
    """A loopback HTTP server answering like the gateways and keeping every request's text."""

    base_url: str = ""
    requests: list[str] = field(default_factory=list)

    def carries(self, marker: str) -> bool:
        return any(marker in text for text in self.requests)


def wire_text(path: str, headers: dict[str, str], body: bytes) -> str:
    """A request as text, with base64 credentials (Basic auth, Daraja's Password) decoded."""
    parts = [path, json.dumps(headers), body.decode(errors="replace")]
    encoded = [headers.get("Authorization", "").removeprefix("Basic ")]
    try:
        encoded.append(str(json.loads(body).get("Password", "")))
    except (ValueError, AttributeError):
        pass
    for value in encoded:
        try:
            parts.append(base64.b64decode(value, validate=True).decode(errors="replace"))
        except ValueError:
            pass
    return "\n".join(parts)


@pytest.fixture
def recorders() -> Iterator[tuple[Recorder, Recorder]]:
    """(the platform's gateway URL, a URL a boutique's secret names)."""
    servers = []
    pair = (Recorder(), Recorder())
    for recorder in pair:

        class Handler(BaseHTTPRequestHandler):
            target = recorder

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                path = self.path.split("?")[0]
                self.target.requests.append(wire_text(self.path, dict(self.headers), body))
                answer = json.dumps(ANSWERS.get(path, {})).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}).start()
        recorder.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        servers.append(server)
    yield pair
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def platform(
    recorders: tuple[Recorder, Recorder], settings_env: Callable[..., None]
) -> tuple[Recorder, Recorder]:
    """The deployment's credentials in the environment, its gateways at the first recorder."""
    base_url = recorders[0].base_url
    settings_env(**PLATFORM_ENV, PAYLINK_BASE_URL=base_url, DARAJA_BASE_URL=base_url)
    return recorders


def give_secret(
    monkeypatch: pytest.MonkeyPatch, business_id: str, gateway: str, value: dict[str, str]
) -> None:
    """What an operator stores as the boutique's secret (locally: an env var)."""
    name = gateway_choice.boutique_secret_name(business_id, gateway)
    monkeypatch.setenv(env_var_name(name), json.dumps(value))


def push_for(business_id: str, settings: dict[str, Any]) -> None:
    """Build the boutique's gateway and send one STK push through it."""
    gateway = gateway_choice.gateway_for_business(business_id, settings)
    gateway.initiate_stk_push(
        StkPushRequest(
            order_id=str(uuid.uuid4()),
            attempt=1,
            phone_e164="+254712345678",
            amount_kes=2800,
            account_reference="NYOTA1",
            description="Duka order",
            callback_url=f"https://duka.example/webhook/{gateway.name}/callback/{business_id}",
        )
    )


def refusal(action: Callable[[], None]) -> GatewayConfigError | None:
    """The configuration error an action raised, if any, so the wire is checked either way."""
    try:
        action()
    except GatewayConfigError as exc:
        return exc
    return None


def own(gateway: str) -> dict[str, Any]:
    return {"payment": {"gateway": gateway, "own_credentials": True}}


@pytest.mark.parametrize("gateway", ["paylink", "daraja"])
def test_a_boutique_secret_cannot_send_the_platform_keys_to_its_own_url(
    platform: tuple[Recorder, Recorder], monkeypatch: pytest.MonkeyPatch, gateway: str
) -> None:
    platform_url, elsewhere = platform
    business_id = str(uuid.uuid4())
    url_key = f"{gateway.upper()}_BASE_URL"
    give_secret(monkeypatch, business_id, gateway, {url_key: elsewhere.base_url})

    refused = refusal(lambda: push_for(business_id, own(gateway)))

    assert not elsewhere.carries("platform-"), "the platform's keys reached the boutique's URL"
    assert elsewhere.requests == [], "a boutique secret redirected the gateway"
    assert not platform_url.carries("platform-"), "the platform's keys were sent for a boutique"
    assert refused is not None and url_key in str(refused)


@pytest.mark.parametrize("gateway", ["paylink", "daraja"])
def test_a_boutique_secret_with_keys_and_a_url_is_refused_whole(
    platform: tuple[Recorder, Recorder], monkeypatch: pytest.MonkeyPatch, gateway: str
) -> None:
    platform_url, elsewhere = platform
    business_id = str(uuid.uuid4())
    secret = {**OWN_KEYS[gateway], f"{gateway.upper()}_BASE_URL": elsewhere.base_url}
    give_secret(monkeypatch, business_id, gateway, secret)

    with pytest.raises(GatewayConfigError, match="BASE_URL"):
        push_for(business_id, own(gateway))

    assert elsewhere.requests == [] and platform_url.requests == []


@pytest.mark.parametrize("gateway", ["paylink", "daraja"])
def test_own_credentials_go_to_the_platform_url_without_any_platform_key(
    platform: tuple[Recorder, Recorder], monkeypatch: pytest.MonkeyPatch, gateway: str
) -> None:
    platform_url, elsewhere = platform
    business_id = str(uuid.uuid4())
    give_secret(monkeypatch, business_id, gateway, OWN_KEYS[gateway])

    push_for(business_id, own(gateway))

    assert platform_url.requests and elsewhere.requests == []
    assert platform_url.carries("nyota-")
    assert not platform_url.carries("platform-")


def test_an_incomplete_boutique_secret_is_not_filled_in_with_platform_keys(
    platform: tuple[Recorder, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform_url, _ = platform
    business_id = str(uuid.uuid4())
    give_secret(monkeypatch, business_id, "daraja", {"DARAJA_CONSUMER_KEY": "nyota-consumer-key"})

    with pytest.raises(GatewayConfigError, match="is not set"):
        push_for(business_id, own("daraja"))

    assert platform_url.requests == []


def test_a_boutique_without_its_own_credentials_pays_into_the_platform_account(
    platform: tuple[Recorder, Recorder],
) -> None:
    platform_url, _ = platform

    push_for(str(uuid.uuid4()), {"payment": {"gateway": "paylink"}})

    assert platform_url.carries("Bearer platform-paylink-api-key")


def test_naming_another_boutiques_secret_is_refused(
    platform: tuple[Recorder, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform_url, _ = platform
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    give_secret(monkeypatch, theirs, "paylink", OWN_KEYS["paylink"])
    named = gateway_choice.boutique_secret_name(theirs, "paylink")

    with pytest.raises(GatewayConfigError, match="not this boutique's"):
        push_for(mine, {"payment": {"gateway": "paylink", "credentials_secret": named}})
    with pytest.raises(GatewayConfigError, match="not this boutique's"):
        push_for(mine, {"payment": {"gateway": "paylink", "credentials_secret": "platform-keys"}})

    assert platform_url.requests == []


def test_a_stored_secret_name_equal_to_the_derived_one_still_works(
    platform: tuple[Recorder, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform_url, _ = platform
    business_id = str(uuid.uuid4())
    give_secret(monkeypatch, business_id, "paylink", OWN_KEYS["paylink"])
    named = gateway_choice.boutique_secret_name(business_id, "paylink")

    push_for(business_id, {"payment": {"gateway": "paylink", "credentials_secret": named}})

    assert platform_url.carries("Bearer nyota-api-key")


def test_each_boutique_gets_its_own_daraja_callback_url_and_token(
    platform: tuple[Recorder, Recorder],
) -> None:
    platform_url, _ = platform
    first, second = str(uuid.uuid4()), str(uuid.uuid4())

    push_for(first, {"payment": {"gateway": "daraja"}})
    push_for(second, {"payment": {"gateway": "daraja"}})

    urls = re.findall(r'"CallBackURL":\s*"([^"]+)"', "\n".join(platform_url.requests))
    tokens = [
        gateway_choice.boutique_callback_token(PLATFORM_ENV["DARAJA_CALLBACK_TOKEN"], b)
        for b in (first, second)
    ]
    assert urls == [
        f"https://duka.example/webhook/daraja/callback/{first}/{tokens[0]}",
        f"https://duka.example/webhook/daraja/callback/{second}/{tokens[1]}",
    ]
    assert not platform_url.carries(PLATFORM_ENV["DARAJA_CALLBACK_TOKEN"])


def test_only_functions_that_pay_may_read_boutique_credentials_never_the_dashboard() -> None:
    manifest = json.loads((TERRAFORM.parents[1] / "functions" / "manifest.json").read_text())
    functions = manifest["functions"]
    terraform = (TERRAFORM / "functions.tf").read_text()
    grants = (TERRAFORM / "secrets.tf").read_text()

    readers = {name for name, function in functions.items() if function["pays"]}
    assert functions["dashboard"]["pays"] is False
    assert readers == {"paylink_callback", "process_message", "process_payment", "scheduled_jobs"}
    assert re.search(r"boutique_secrets\s*=\s*f\.pays\n", terraform)
    boutique_grant = grants[grants.index('"boutique_secret_reads"') :]
    assert "for_each = local.boutique_payments" in boutique_grant
    assert 'boutique_secret_prefix = "boutique-"' in terraform
    assert gateway_choice.boutique_secret_name("b1", "daraja").startswith("boutique-")
