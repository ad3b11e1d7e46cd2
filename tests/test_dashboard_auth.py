"""Dashboard sign-in: one-time WhatsApp codes, server-side expiring sessions, CSRF, rate limits."""

from __future__ import annotations

import pytest

from tests.conftest import random_kenyan_number
from tests.dashboard_helpers import (
    ask_for_code,
    create_owned_boutique,
    csrf_from,
    enter_code,
    latest_code,
    sandbox_messages,
    sign_in,
)


def test_the_owner_signs_in_with_the_code_sent_from_the_boutiques_whatsapp(app, stack, shop):
    client = app.test_client()

    asked = ask_for_code(client, "0" + shop.owner[4:])  # typed the local way: 07…
    message = sandbox_messages(stack, shop.owner)[-1]
    signed_in = enter_code(client, latest_code(stack, shop.owner))
    overview = client.get("/dashboard/")

    assert asked.status_code == 302 and asked.location.endswith("/dashboard/login/code")
    assert message["from"] == f"whatsapp:{shop.number}"
    assert "expires in 10 minutes" in message["body"]
    assert signed_in.status_code == 302 and signed_in.location.endswith("/dashboard/")
    assert overview.status_code == 200
    assert "Nyota Boutique" in overview.text and "Sales today" in overview.text


def test_the_session_cookie_is_httponly_samesite_and_expires(app, stack, shop):
    client = app.test_client()

    response = sign_in(client, stack, shop.owner)

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("duka_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
    assert "Expires=" in cookie


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/activity",
        "/dashboard/conversations",
        "/dashboard/products",
        "/dashboard/products/new",
        "/dashboard/orders",
        "/dashboard/customers",
        "/dashboard/settings",
    ],
)
def test_every_page_sends_a_stranger_to_sign_in(app, path):
    response = app.test_client().get(path)

    assert response.status_code == 302
    assert response.location.endswith("/dashboard/login")


def test_a_code_works_only_once(app, stack, shop):
    first, second = app.test_client(), app.test_client()
    ask_for_code(first, shop.owner)
    code = latest_code(stack, shop.owner)

    assert enter_code(first, code).status_code == 302
    ask_for_code(second, shop.owner)  # a new code: the used one must not work either way
    replay = enter_code(second, code)

    assert replay.status_code == 401
    assert "not right" in replay.text or "expired" in replay.text


def test_five_wrong_guesses_burn_the_code(app, stack, shop):
    client = app.test_client()
    ask_for_code(client, shop.owner)
    code = latest_code(stack, shop.owner)
    wrong = f"{(int(code) + 1) % 10**8:08d}"

    answers = [enter_code(client, wrong) for _ in range(5)]
    after = enter_code(client, code)

    assert [a.status_code for a in answers] == [401] * 5
    assert "Too many wrong tries" in answers[-1].text
    assert after.status_code == 401  # even the right code no longer works


def test_a_code_older_than_ten_minutes_is_refused(app, stack, shop, admin_db):
    client = app.test_client()
    ask_for_code(client, shop.owner)
    admin_db.execute(  # as if it were sent 11 minutes ago
        "UPDATE owner_login_codes SET created_at = now() - interval '11 minutes',"
        " expires_at = now() - interval '1 minute' WHERE phone = %s",
        (shop.owner,),
    )

    response = enter_code(client, latest_code(stack, shop.owner))

    assert response.status_code == 401
    assert "expired" in response.text


def test_asking_for_too_many_codes_is_rate_limited(app, stack, shop):
    client = app.test_client()

    statuses = [ask_for_code(client, shop.owner).status_code for _ in range(6)]

    assert statuses == [302] * 5 + [429]
    assert len(sandbox_messages(stack, shop.owner)) == 5


def test_a_phone_that_owns_no_boutique_gets_no_code_and_the_same_answer(app, stack):
    stranger = random_kenyan_number()
    client = app.test_client()

    response = ask_for_code(client, stranger)
    guess = enter_code(client, "123456")

    assert response.status_code == 302  # no hint whether the number owns a shop
    assert sandbox_messages(stack, stranger) == []
    assert guess.status_code == 401


def test_an_invalid_phone_number_is_explained(app):
    client = app.test_client()

    response = ask_for_code(client, "12345")

    assert response.status_code == 422
    assert "Kenyan mobile number" in response.text


def test_a_form_without_the_csrf_token_is_refused(app, stack, shop):
    client = app.test_client()
    sign_in(client, stack, shop.owner)

    no_token = client.post("/dashboard/settings/agent", data={"tone": "warm", "languages": "en"})
    wrong = client.post("/dashboard/logout", data={"csrf_token": "forged"})
    still_in = client.get("/dashboard/")

    assert no_token.status_code == 400 and wrong.status_code == 400
    assert still_in.status_code == 200


def test_a_tampered_session_cookie_is_ignored(app, stack, shop):
    client = app.test_client()
    sign_in(client, stack, shop.owner)
    cookie = client.get_cookie("duka_session", path="/dashboard")
    assert cookie is not None
    flipped = "B" if cookie.value[10] == "A" else "A"
    tampered = cookie.value[:10] + flipped + cookie.value[11:]
    client.set_cookie("duka_session", tampered, path="/dashboard")

    response = client.get("/dashboard/")

    assert response.status_code == 302 and response.location.endswith("/dashboard/login")


def test_a_session_expires(app, stack, shop, admin_db):
    client = app.test_client()
    sign_in(client, stack, shop.owner)
    admin_db.execute(  # as if signed in a week ago
        "UPDATE owner_sessions SET expires_at = now() - interval '1 second' WHERE phone = %s",
        (shop.owner,),
    )

    response = client.get("/dashboard/")

    assert response.status_code == 302 and response.location.endswith("/dashboard/login")


def test_removing_an_owner_ends_their_session_at_once(app, stack, shop, admin_db):
    client = app.test_client()
    sign_in(client, stack, shop.owner)

    admin_db.execute("DELETE FROM business_owners WHERE phone = %s", (shop.owner,))
    response = client.get("/dashboard/orders")
    live = admin_db.execute(
        "SELECT count(*) AS n FROM owner_sessions WHERE phone = %s AND revoked_at IS NULL",
        (shop.owner,),
    ).fetchone()["n"]

    assert response.status_code == 302 and response.location.endswith("/dashboard/login")
    assert live == 0  # revoked in the database, not only refused by the page guard


def test_signing_out_ends_the_session(app, stack, shop):
    client = app.test_client()
    sign_in(client, stack, shop.owner)
    token = csrf_from(client.get("/dashboard/").text)

    client.post("/dashboard/logout", data={"csrf_token": token})

    assert client.get("/dashboard/").status_code == 302


def test_an_owner_of_two_boutiques_picks_one_but_never_someone_elses(app, stack, admin_db):
    mine = create_owned_boutique(admin_db, name="Amani Styles")
    other = create_owned_boutique(admin_db, name="Zawadi Fashions")
    second = create_owned_boutique(admin_db, name="Amani Shoes")
    admin_db.execute("DELETE FROM business_owners WHERE business_id = %s", (second.id,))
    admin_db.execute(
        "INSERT INTO business_owners (business_id, phone) VALUES (%s, %s)", (second.id, mine.owner)
    )
    client = app.test_client()

    chooser = sign_in(client, stack, mine.owner)
    page = client.get("/dashboard/login/choose")
    token = csrf_from(page.text)
    forged = client.post(
        "/dashboard/login/choose", data={"business_id": other.id, "csrf_token": token}
    )
    chosen = client.post(
        "/dashboard/login/choose", data={"business_id": second.id, "csrf_token": token}
    )

    assert chooser.location.endswith("/dashboard/login/choose")
    assert "Amani Styles" in page.text and "Amani Shoes" in page.text
    assert "Zawadi" not in page.text
    assert forged.status_code == 200  # the chooser again, not signed in
    assert chosen.status_code == 302
    assert "Amani Shoes" in client.get("/dashboard/").text


def test_locally_the_code_is_also_in_the_log(app, stack, shop, caplog):
    caplog.set_level("INFO", logger="duka.dashboard.codes")

    ask_for_code(app.test_client(), shop.owner)

    logged = [r for r in caplog.records if r.getMessage() == "sign-in code sent"]
    assert [r.fields["code"] for r in logged] == [latest_code(stack, shop.owner)]


def test_duka_owner_add_lets_a_phone_sign_in(app, stack, admin_db):
    import argparse

    from duka_local.owner_cli import register

    shop = create_owned_boutique(admin_db, name="Pendo Boutique")
    newcomer = random_kenyan_number()
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> int:
        args = parser.parse_args(argv)
        return int(args.func(args))

    granted = run("owner", "add", "--business", shop.number, "--phone", "0" + newcomer[4:])
    unknown = run("owner", "add", "--business", random_kenyan_number(), "--phone", newcomer)
    invalid = run("owner", "add", "--business", shop.number, "--phone", "12345")

    assert (granted, unknown, invalid) == (0, 1, 2)
    assert sign_in(app.test_client(), stack, newcomer).location.endswith("/dashboard/")
