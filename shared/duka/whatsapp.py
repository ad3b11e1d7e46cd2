"""Twilio WhatsApp: signature validation and sending through the real twilio SDK."""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from duka.config import get_settings
from duka.errors import Rejected, Transient

WHATSAPP_PREFIX = "whatsapp:"
# Twilio's clock and ours may disagree a little when matching an earlier send by its time.
CLOCK_SKEW = timedelta(seconds=60)
RECENT_MESSAGES_CHECKED = 50

_client: Any = None
_lock = threading.Lock()


class SendFailedTransient(Transient):
    """Twilio could not take the message now (429/5xx/timeout): retry later."""


class SendRejected(Rejected):
    """Twilio refused the message for good (e.g. outside the 24-hour window): don't retry."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str


def bare_number(address: str) -> str:
    return address.removeprefix(WHATSAPP_PREFIX).strip()


def signature_is_valid(url: str, params: Mapping[str, str], signature: str | None) -> bool:
    if not signature:
        return False
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(get_settings().twilio_auth_token)
    return bool(validator.validate(url, dict(params), signature))


def _get_client() -> Any:
    global _client
    with _lock:
        if _client is None:
            from twilio.http.http_client import TwilioHttpClient
            from twilio.rest import Client

            settings = get_settings()
            _client = Client(
                settings.twilio_account_sid,
                settings.twilio_auth_token,
                http_client=TwilioHttpClient(timeout=10),
            )
            if settings.twilio_api_base_url:  # the local sandbox serves both domains
                _client.api.base_url = settings.twilio_api_base_url
                _client.content.base_url = settings.twilio_api_base_url
        return _client


def send_whatsapp(
    *,
    from_number: str,
    to_number: str,
    body: str,
    media_urls: Sequence[str] = (),
    content_sid: str | None = None,
    content_variables: Mapping[str, str] | None = None,
    status_callback: str | None = None,
) -> SentMessage:
    """Send free text (`body`, with media), or a Content resource (`content_sid` with its
    variables: a template or an interactive message; `body` is then not sent)."""
    kwargs: dict[str, Any] = {
        "from_": WHATSAPP_PREFIX + bare_number(from_number),
        "to": WHATSAPP_PREFIX + bare_number(to_number),
    }
    if content_sid:
        kwargs["content_sid"] = content_sid
        kwargs["content_variables"] = json.dumps(dict(content_variables or {}))
    else:
        kwargs["body"] = body
        if media_urls:
            kwargs["media_url"] = list(media_urls)
    if status_callback:
        kwargs["status_callback"] = status_callback
    with twilio_errors("sending"):
        message = _get_client().messages.create(**kwargs)
    return SentMessage(sid=str(message.sid), status=str(message.status))


@contextmanager
def twilio_errors(doing: str) -> Iterator[None]:
    """Twilio's failures as ours: 429/5xx/unreachable may pass (retry), other 4xx never will."""
    from twilio.base.exceptions import TwilioException, TwilioRestException

    try:
        yield
    except TwilioRestException as exc:
        if exc.status == 429 or exc.status >= 500:
            raise SendFailedTransient(f"twilio {exc.status} {doing}: {exc.msg}") from exc
        raise SendRejected(
            f"twilio {exc.status} code {exc.code} {doing}: {exc.msg}", exc.code
        ) from exc
    except TwilioException as exc:  # connection errors and timeouts
        raise SendFailedTransient(f"twilio unreachable {doing}: {exc}") from exc


def content_api() -> Any:
    """The twilio SDK's Content API (content.twilio.com/v1/Content)."""
    return _get_client().content.v1.contents


def find_sent(
    *,
    from_number: str,
    to_number: str,
    body: str,
    since: datetime,
    exclude_sids: Collection[str] = (),
) -> str | None:
    """The SID of a message Twilio already took with this body since `since`, else None.

    Used before re-sending a reply whose earlier send started but was never recorded (the run
    died, or Twilio took it and then the answer was lost). The list is not filtered by
    DateSent: a message Twilio queued but has not sent yet has no send date.
    """
    from twilio.base.exceptions import TwilioException, TwilioRestException

    try:
        recent = _get_client().messages.list(
            to=WHATSAPP_PREFIX + bare_number(to_number),
            from_=WHATSAPP_PREFIX + bare_number(from_number),
            limit=RECENT_MESSAGES_CHECKED,
        )
    except TwilioRestException as exc:
        raise SendFailedTransient(f"twilio {exc.status} listing messages: {exc.msg}") from exc
    except TwilioException as exc:
        raise SendFailedTransient(f"twilio unreachable listing messages: {exc}") from exc
    for message in recent:
        created = message.date_created
        if str(message.sid) in exclude_sids or created is None or created < since - CLOCK_SKEW:
            continue
        if (message.body or "") == body:
            return str(message.sid)
    return None
