"""Download a customer's WhatsApp media safely.

Twilio credentials go only to Twilio's API host (never on the redirect to its CDN, never to
another host); in the local stack loopback URLs are fetched without credentials; anything else
is refused. Size and content type are checked before the bytes are used.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import httpx

from duka.config import Settings, get_settings
from duka.errors import Rejected

TWILIO_API_HOST = "api.twilio.com"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
# Voice notes (WhatsApp sends audio/ogg) in the formats Gemini can transcribe.
AUDIO_TYPES = frozenset(
    {"audio/ogg", "audio/mpeg", "audio/mp3", "audio/aac", "audio/wav", "audio/flac", "audio/aiff"}
)
MAX_REDIRECTS = 3


class MediaRefused(Rejected):
    """The URL, its size or its type is not acceptable; tell the customer, don't retry."""


@dataclass(frozen=True)
class Media:
    data: bytes
    content_type: str


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _twilio_hosts(settings: Settings) -> set[str]:
    hosts = {TWILIO_API_HOST}
    if settings.twilio_api_base_url:
        hosts.add(urlparse(settings.twilio_api_base_url).hostname or "")
    return hosts


def _credentials_for(url: str, settings: Settings) -> tuple[str, str] | None:
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if parsed.scheme == "https" and host in _twilio_hosts(settings):
        return settings.twilio_account_sid, settings.twilio_auth_token
    if settings.is_local and parsed.scheme == "http" and _is_loopback(host):
        return None
    raise MediaRefused(f"media URL host {host!r} is not allowed")


def download_media(
    url: str,
    *,
    settings: Settings | None = None,
    client: httpx.Client | None = None,
    accept: frozenset[str] = IMAGE_TYPES,
) -> Media:
    """The media's bytes, if its type is in ``accept`` (photos unless told otherwise)."""
    settings = settings or get_settings()
    auth = _credentials_for(url, settings)
    http = client or httpx.Client(timeout=httpx.Timeout(10.0, connect=3.0))
    try:
        for _ in range(MAX_REDIRECTS + 1):
            with http.stream("GET", url, auth=auth, follow_redirects=False) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers["location"])
                    if urlparse(url).scheme != "https" and not (
                        settings.is_local and _is_loopback(urlparse(url).hostname or "")
                    ):
                        raise MediaRefused("media redirect to a non-https URL")
                    auth = None  # the CDN gets no credentials
                    continue
                response.raise_for_status()
                return _read_media(response, settings.media_max_bytes, accept)
        raise MediaRefused("too many redirects")
    finally:
        if client is None:
            http.close()


def _read_media(response: httpx.Response, max_bytes: int, accept: frozenset[str]) -> Media:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in accept:
        kind = "an image" if accept == IMAGE_TYPES else "media"
        raise MediaRefused(f"media type {content_type or 'unknown'} is not {kind} we accept")
    declared = int(response.headers.get("content-length") or 0)
    if declared > max_bytes:
        raise MediaRefused(f"media is {declared} bytes; the limit is {max_bytes}")
    data = bytearray()
    for chunk in response.iter_bytes():
        data.extend(chunk)
        if len(data) > max_bytes:
            raise MediaRefused(f"media is over the {max_bytes}-byte limit")
    return Media(bytes(data), content_type)
