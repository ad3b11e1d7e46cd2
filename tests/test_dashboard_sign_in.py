"""Sign-in that cannot be guessed or enumerated, server-side sessions, and fail-closed config."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from flask import Flask

from duka import whatsapp
from duka.config import ConfigError, get_settings
from duka.dashboard import codes
from duka_local.sandboxes.twilio_sandbox import TwilioSandbox
from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import (
    CODE,
    as_app_role,
    ask_for_code,
    create_owned_boutique,
    csrf_from,
    enter_code,
    latest_code,
    random_ip,
    sandbox_messages,
    sign_in,
)

TOO_MANY = "Too many sign-in attempts"


def visitor(app: Flask, ip: str | None = None) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = ip or random_ip()
    return client


def wrong_code_for(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


def comparable(html: str, phone: str) -> str:
    """The page without what differs by construction: CSRF tokens and the typed phone."""
    shown = f"+254 {phone[4:7]} {phone[7:10]} {phone[10:]}"
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    return html.replace(shown, "PHONE").replace(phone, "PHONE")


def guess_from(app: Flask, phone: str, ip: str, guesses: int) -> list[Any]:
    client = visitor(app, ip)
    assert ask_for_code(client, phone).status_code == 302
    return [enter_code(client, "12345678") for _ in range(guesses)]


# Item 2: the environment fails closed -------------------------------------------------------

REAL_LOOKING = {
    "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
    "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
    "PUBLIC_BASE_URL": "https://dashboard.duka.example",
    "DASHBOARD_SESSION_KEY": secrets.token_urlsafe(40),
}


@pytest.fixture()
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("env", ["staging", "prod", "Production", "production ", None])
@pytest.mark.usefixtures("stack", "fresh_settings")
def test_any_environment_but_local_or_test_refuses_placeholder_secrets(monkeypatch, env):
    if env is None:
        monkeypatch.delenv("DUKA_ENV", raising=False)
        monkeypatch.setenv("K_SERVICE", "dashboard")  # on Cloud Functions: production
    else:
        monkeypatch.setenv("DUKA_ENV", env)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "local-twilio-token")

    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        get_settings()


@pytest.mark.parametrize("env", ["local", "test"])
@pytest.mark.usefixtures("stack", "fresh_settings")
def test_local_and_test_keep_their_placeholders(monkeypatch, env):
    monkeypatch.setenv("DUKA_ENV", env)
    monkeypatch.setenv("K_SERVICE", "dashboard")  # an explicit DUKA_ENV wins

    assert get_settings().is_local


@pytest.fixture()
def staging_app(stack, monkeypatch, fresh_settings) -> Iterator[tuple[Flask, TwilioSandbox]]:
    """The dashboard as `DUKA_ENV=staging`, real-looking secrets, its own Twilio at the wire."""
    twilio = TwilioSandbox(REAL_LOOKING["TWILIO_ACCOUNT_SID"], REAL_LOOKING["TWILIO_AUTH_TOKEN"])
    monkeypatch.setenv("TWILIO_API_BASE_URL", twilio.start())
    monkeypatch.setattr(whatsapp, "_client", None)  # built anew for staging, restored after
    monkeypatch.setenv("DUKA_ENV", "staging")
    monkeypatch.delenv("DASHBOARD_SIGN_IN_BUDGET_MS")  # production's budget, not the local one
    for name, value in REAL_LOOKING.items():
        monkeypatch.setenv(name, value)
    try:
        with as_app_role(stack):
            from duka.dashboard.app import create_app

            application = create_app()
            application.testing = True
            yield application, twilio
    finally:
        twilio.stop()


def test_staging_sets_secure_cookies_and_never_logs_the_code(staging_app, admin_db, caplog):
    app, twilio = staging_app
    shop = create_owned_boutique(admin_db)
    caplog.set_level("DEBUG")
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_X_FORWARDED_FOR": random_ip()})

    asked = ask_for_code(client, shop.owner)
    sent = [m["body"] for m in twilio.messages if m["to"] == f"whatsapp:{shop.owner}"]
    code = CODE.search(sent[-1]).group(1) if sent and CODE.search(sent[-1]) else "no code"
    signed_in = enter_code(client, code)

    assert asked.status_code == 302 and signed_in.status_code == 302
    assert "Secure" in signed_in.headers["Set-Cookie"]
    assert "Secure" in app.test_client().get("/dashboard/login").headers["Set-Cookie"]
    logged = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert "sign-in code sent" in logged and code not in logged


# Item 3: limits per phone, per client IP and in all -----------------------------------------


def test_one_network_spraying_many_phones_is_stopped(app):
    ip = random_ip()
    limits = codes.GUESS_LIMITS
    phones = [random_kenyan_number() for _ in range(limits.ip_max // limits.per_code_max)]
    answers = [a for phone in phones for a in guess_from(app, phone, ip, limits.per_code_max)]

    stopped = guess_from(app, random_kenyan_number(), ip, 1)[0]
    elsewhere = guess_from(app, random_kenyan_number(), random_ip(), 1)[0]

    assert len(answers) == limits.ip_max and {a.status_code for a in answers} == {401}
    assert stopped.status_code == 429 and TOO_MANY in stopped.text
    assert elsewhere.status_code == 401  # another network is not punished


def test_one_network_asking_for_many_codes_is_stopped(app):
    ip = random_ip()
    client = visitor(app, ip)

    asked = [
        ask_for_code(client, random_kenyan_number()).status_code
        for _ in range(codes.REQUEST_LIMITS.ip_max + 1)
    ]
    elsewhere = ask_for_code(visitor(app), random_kenyan_number())

    assert asked == [302] * codes.REQUEST_LIMITS.ip_max + [429]
    assert elsewhere.status_code == 302


def test_a_phone_takes_at_most_its_daily_wrong_codes_even_from_many_networks(app, stack, shop):
    """After 20 wrong codes in a day even the right code is refused: the guessing bound."""
    limits = codes.GUESS_LIMITS
    rounds = limits.phone_max // limits.per_code_max
    for _ in range(rounds):  # each round from a new network, with a new code
        client = visitor(app)
        ask_for_code(client, shop.owner)
        wrong = wrong_code_for(latest_code(stack, shop.owner))
        assert [enter_code(client, wrong).status_code for _ in range(5)] == [401] * 5
    client = visitor(app)
    ask_for_code(client, shop.owner)

    right = enter_code(client, latest_code(stack, shop.owner))

    assert right.status_code == 429 and TOO_MANY in right.text
    assert client.get("/dashboard/").status_code == 302


def test_the_platform_wide_limits_stop_a_distributed_attack(app, admin_db, monkeypatch):
    def recent(kind: str) -> int:
        return int(
            admin_db.execute(
                "SELECT count(*) AS n FROM login_attempts"
                " WHERE kind = %s AND at > now() - interval '1 hour'",
                (kind,),
            ).fetchone()["n"]
        )

    monkeypatch.setattr(
        codes, "GUESS_LIMITS", replace(codes.GUESS_LIMITS, global_max=recent("wrong_code") + 2)
    )
    guesses = [guess_from(app, random_kenyan_number(), random_ip(), 1)[0] for _ in range(3)]
    monkeypatch.setattr(
        codes,
        "REQUEST_LIMITS",
        replace(codes.REQUEST_LIMITS, global_max=recent("code_request") + 1),
    )
    requests = [ask_for_code(visitor(app), random_kenyan_number()) for _ in range(2)]

    assert [g.status_code for g in guesses] == [401, 401, 429]
    assert [r.status_code for r in requests] == [302, 429]


# Item 3: a stranger's phone reads exactly like an owner's -----------------------------------


def test_a_stranger_gets_the_same_answers_as_an_owner(app, stack, shop):
    stranger = random_kenyan_number()
    seen: dict[str, list[Any]] = {}
    for phone in (shop.owner, stranger):
        client = visitor(app)
        asked = ask_for_code(client, phone)
        page = client.get("/dashboard/login/code")
        wrongs = [enter_code(client, "87654321") for _ in range(5)]
        more = [ask_for_code(visitor(app), phone) for _ in range(5)]  # 4 more allowed, then 429
        seen[phone] = [
            (asked.status_code, asked.location),
            (page.status_code, comparable(page.text, phone)),
            *[(w.status_code, comparable(w.text, phone)) for w in wrongs],
            *[(m.status_code, comparable(m.text, phone)) for m in more],
        ]

    assert seen[shop.owner] == seen[stranger]
    assert "not right" in seen[stranger][2][1] and "Too many wrong tries" in seen[stranger][6][1]
    assert seen[stranger][-1][0] == 429
    assert sandbox_messages(stack, stranger) == []


def test_a_stranger_is_answered_as_slowly_as_an_owner(app, stack, admin_db):
    """Both answers wait out the same budget: medians agree within a generous margin."""
    budget = get_settings().dashboard_sign_in_budget_ms / 1000
    owners = [create_owned_boutique(admin_db).owner for _ in range(5)]

    def timed(phone: str) -> float:
        client = visitor(app)
        token = csrf_from(client.get("/dashboard/login").text)
        started = time.monotonic()
        response = client.post("/dashboard/login", data={"phone": phone, "csrf_token": token})
        assert response.status_code == 302
        return time.monotonic() - started

    owner_times = [timed(phone) for phone in owners]
    stranger_times = [timed(random_kenyan_number()) for _ in owners]

    assert all(len(sandbox_messages(stack, phone)) == 1 for phone in owners)
    assert min(owner_times + stranger_times) >= budget
    assert abs(statistics.median(owner_times) - statistics.median(stranger_times)) < budget / 2


# Item 3: a code exists only once WhatsApp took it -------------------------------------------


def test_a_failed_send_leaves_no_code_and_looks_like_any_other_answer(app, stack, shop, admin_db):
    sandbox = stack["TWILIO_API_BASE_URL"]
    httpx.post(
        sandbox + "/_sandbox/fail_next", json={"status": 500, "code": 20500, "to": shop.owner}
    )
    client = visitor(app)

    failed = ask_for_code(client, shop.owner)
    rows_after_failure = admin_db.execute(
        "SELECT count(*) AS n FROM owner_login_codes WHERE phone = %s", (shop.owner,)
    ).fetchone()["n"]
    attempts = httpx.get(sandbox + "/_sandbox/attempts", params={"to": shop.owner}).json()
    retried = ask_for_code(client, shop.owner)
    rows_after_retry = admin_db.execute(
        "SELECT count(*) AS n FROM owner_login_codes WHERE phone = %s", (shop.owner,)
    ).fetchone()["n"]

    assert failed.status_code == 302 and failed.location.endswith("/dashboard/login/code")
    assert rows_after_failure == 0
    assert [a["status"] for a in attempts["attempts"]] == [500]  # WhatsApp was asked, refused
    assert retried.status_code == 302 and rows_after_retry == 1
    assert len(sandbox_messages(stack, shop.owner)) == 1
    assert enter_code(client, latest_code(stack, shop.owner)).status_code == 302


# Item 3: server-side sessions ----------------------------------------------------------------


def session_token(client: Any) -> str:
    cookie = client.get_cookie("duka_session", path="/dashboard")
    assert cookie is not None
    return str(cookie.value)


def test_the_cookie_is_an_opaque_token_of_a_server_row(app, stack, shop, admin_db):
    client = visitor(app)
    ask_for_code(client, shop.owner)
    before = session_token(client)
    enter_code(client, latest_code(stack, shop.owner))
    token = session_token(client)

    padded = token + "=" * (-len(token) % 4)
    decoded = base64.urlsafe_b64decode(padded).decode("latin-1")
    row = admin_db.execute(
        "SELECT phone, business_id::text AS business FROM owner_sessions WHERE token_hash = %s",
        (hashlib.sha256(token.encode()).hexdigest(),),
    ).fetchone()
    stored_tokens = admin_db.execute(
        "SELECT count(*) AS n FROM owner_sessions WHERE token_hash = %s OR data::text LIKE %s",
        (token, f"%{token}%"),
    ).fetchone()["n"]

    for secret in (shop.owner, shop.owner[4:], shop.id, shop.id.replace("-", "")):
        assert secret not in token and secret not in decoded
    assert row == {"phone": shop.owner, "business": shop.id}
    assert stored_tokens == 0  # only the hash is kept
    assert before != token  # signing in moved to a new token


def test_signing_out_revokes_the_row_and_a_replayed_cookie_is_refused(app, stack, shop, admin_db):
    client = visitor(app)
    sign_in(client, stack, shop.owner)
    token = session_token(client)
    csrf = csrf_from(client.get("/dashboard/").text)

    client.post("/dashboard/logout", data={"csrf_token": csrf})
    replay = visitor(app)
    replay.set_cookie("duka_session", token, path="/dashboard")
    revoked = admin_db.execute(
        "SELECT revoked_at FROM owner_sessions WHERE token_hash = %s",
        (hashlib.sha256(token.encode()).hexdigest(),),
    ).fetchone()["revoked_at"]

    assert revoked is not None
    assert replay.get("/dashboard/orders").status_code == 302


def test_signing_out_everywhere_ends_the_other_browsers_sessions(app, stack, shop):
    phone_browser, laptop = visitor(app), visitor(app)
    sign_in(phone_browser, stack, shop.owner)
    sign_in(laptop, stack, shop.owner)
    csrf = csrf_from(phone_browser.get("/dashboard/").text)
    assert "Sign out everywhere" in phone_browser.get("/dashboard/settings").text

    response = phone_browser.post("/dashboard/logout/everywhere", data={"csrf_token": csrf})

    assert response.status_code == 302 and response.location.endswith("/dashboard/login")
    assert laptop.get("/dashboard/").status_code == 302
    assert phone_browser.get("/dashboard/").status_code == 302
    assert "signed out everywhere (2 sessions)" in phone_browser.get("/dashboard/login").text
