"""The Twilio sandbox's status callbacks: what Twilio posts to a message's StatusCallback URL.

Each message sent with a StatusCallback gets, in order, form-encoded posts signed with
`X-Twilio-Signature` (the account's auth token over the URL and the fields, as Twilio signs):
queued, sent, delivered; or queued then failed/undelivered with an `ErrorCode` when its number
is marked undeliverable; and "read" when a test or the simulator says the customer read it.
Posts go out from one worker thread, so a message's statuses arrive in the order Twilio would
send them; a refused or unreachable URL is recorded, never retried (as Twilio does by default).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any

import httpx
from twilio.request_validator import RequestValidator


@dataclass(frozen=True)
class Undeliverable:
    code: int  # e.g. 63024 not a WhatsApp number, 63016 outside the 24-hour window
    status: str = "failed"  # or "undelivered"


class StatusCallbacks:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.signer = RequestValidator(auth_token)
        self.posted: list[dict[str, Any]] = []  # every post: sid, status, error_code, http_status
        self.undeliverable: dict[str, Undeliverable] = {}  # bare number -> how sends to it fail
        self._queue: queue.Queue[tuple[str, dict[str, str]]] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._client = httpx.Client(timeout=10.0)
        threading.Thread(target=self._work, daemon=True).start()

    def message_accepted(self, message: dict[str, Any], to: str) -> None:
        """Report a message Twilio took: its way to the phone, or its failure."""
        failure = self.undeliverable.get(to)
        self.report(message, "queued")
        if failure is None:
            self.report(message, "sent")
            self.report(message, "delivered")
        else:
            self.report(message, failure.status, failure.code)

    def report(self, message: dict[str, Any], status: str, error_code: int | None = None) -> None:
        """Queue one status post for `message` (no-op without a StatusCallback)."""
        url = message.get("status_callback")
        if not url:
            return
        message["status"] = status
        if error_code is not None:
            message["error_code"] = error_code
        fields = {
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "AccountSid": self.account_sid,
            "From": message["from"],
            "To": message["to"],
            "MessageStatus": status,
            "SmsStatus": status,
            "ChannelPrefix": "whatsapp",
            "ApiVersion": "2010-04-01",
        }
        if error_code is not None:
            fields["ErrorCode"] = str(error_code)
        with self._idle:
            self._pending += 1
        self._queue.put((url, fields))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued post has been made (tests and benches)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _work(self) -> None:
        while True:
            url, fields = self._queue.get()
            signature = self.signer.compute_signature(url, fields)
            try:
                answer: int | None = self._client.post(
                    url, data=fields, headers={"X-Twilio-Signature": signature}
                ).status_code
            except httpx.HTTPError:
                answer = None  # nobody listening (an in-process test): Twilio gives up too
            self.posted.append(
                {
                    "sid": fields["MessageSid"],
                    "status": fields["MessageStatus"],
                    "error_code": fields.get("ErrorCode"),
                    "http_status": answer,
                }
            )
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()
