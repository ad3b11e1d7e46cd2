"""Media download: credentials only to Twilio's API host, size and type limits, refusals."""

from __future__ import annotations

import httpx
import pytest

from duka.config import get_settings
from duka.media import MediaRefused, download_media

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def recording_client(routes: dict[str, httpx.Response], seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return routes[str(request.url)]

    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.fixture()
def settings():
    return get_settings().model_copy(
        update={
            "duka_env": "production",
            "twilio_account_sid": "ACx",
            "twilio_auth_token": "tok",
            "twilio_api_base_url": None,
            "media_max_bytes": 1000,
        }
    )


def test_credentials_go_to_twilio_api_but_not_to_the_cdn_redirect(settings):
    api = "https://api.twilio.com/2010-04-01/Accounts/ACx/Messages/MM1/Media/ME1"
    cdn = "https://mms.twiliocdn.com/abc/image.png"
    seen: list[httpx.Request] = []
    client = recording_client(
        {
            api: httpx.Response(307, headers={"location": cdn}),
            cdn: httpx.Response(200, content=PNG, headers={"content-type": "image/png"}),
        },
        seen,
    )

    media = download_media(api, settings=settings, client=client)

    assert media.data == PNG and media.content_type == "image/png"
    assert "authorization" in seen[0].headers
    assert "authorization" not in seen[1].headers


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/image.png",
        "http://api.twilio.com/2010-04-01/x",  # not https
        "http://127.0.0.1:9/image.png",  # loopback only in the local stack
        "file:///etc/passwd",
    ],
)
def test_other_hosts_are_refused_before_any_request(settings, url):
    seen: list[httpx.Request] = []
    with pytest.raises(MediaRefused):
        download_media(url, settings=settings, client=recording_client({}, seen))
    assert seen == []


def test_loopback_is_fetched_without_credentials_in_the_local_stack(settings):
    url = "http://127.0.0.1:8090/_sandbox/media/ME1"
    seen: list[httpx.Request] = []
    client = recording_client(
        {url: httpx.Response(200, content=PNG, headers={"content-type": "image/png"})}, seen
    )

    download_media(url, settings=settings.model_copy(update={"duka_env": "local"}), client=client)

    assert "authorization" not in seen[0].headers


def test_oversized_and_non_image_media_are_refused(settings):
    api = "https://api.twilio.com/media/big"
    pdf = "https://api.twilio.com/media/doc"
    client = recording_client(
        {
            api: httpx.Response(200, content=b"x" * 2000, headers={"content-type": "image/jpeg"}),
            pdf: httpx.Response(200, content=b"%PDF", headers={"content-type": "application/pdf"}),
        },
        [],
    )

    with pytest.raises(MediaRefused, match="limit"):
        download_media(api, settings=settings, client=client)
    with pytest.raises(MediaRefused, match="application/pdf"):
        download_media(pdf, settings=settings, client=client)
