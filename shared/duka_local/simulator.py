"""A customer's phone: signed Twilio webhooks in, replies read back from the Twilio sandbox."""

from __future__ import annotations

import mimetypes
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from twilio.request_validator import RequestValidator

_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class Choice:
    """One button or list row of a reply, as the phone shows it."""

    payload: str  # the id the business gave it, sent back on a tap
    title: str
    description: str | None
    kind: str  # "button" (twilio/quick-reply) or "list" (twilio/list-picker)


@dataclass
class WhatsAppSimulator:
    webhook_base_url: str
    twilio_api_base_url: str
    auth_token: str
    account_sid: str
    business_number: str
    customer_number: str = "+254700000001"
    profile_name: str = "Wanjiku"
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))
    # The stack's administrator database URL, when the caller has it: `wait_for_answer` then
    # knows when a reply is complete instead of waiting a fixed time for more of its parts.
    database_url: str | None = None
    _seen: int = 0

    def form(
        self, body: str, media_urls: list[str] | None = None, sid: str | None = None
    ) -> dict[str, str]:
        fields = {
            "MessageSid": sid or "SM" + secrets.token_hex(16),
            "AccountSid": self.account_sid,
            "From": f"whatsapp:{self.customer_number}",
            "To": f"whatsapp:{self.business_number}",
            "Body": body,
            "ProfileName": self.profile_name,
            "WaId": self.customer_number.lstrip("+"),
            "NumMedia": str(len(media_urls or [])),
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        for i, url in enumerate(media_urls or []):
            fields[f"MediaUrl{i}"] = url
            fields[f"MediaContentType{i}"] = mimetypes.guess_type(url)[0] or "image/jpeg"
        return fields

    def post(self, fields: dict[str, str], signature: str | None = None) -> httpx.Response:
        url = self.webhook_base_url + "/webhook/whatsapp"
        if signature is None:
            signature = RequestValidator(self.auth_token).compute_signature(url, fields)
        return self.client.post(url, data=fields, headers={"X-Twilio-Signature": signature})

    def upload_photo(self, path: Path) -> str:
        content_type = mimetypes.guess_type(str(path))[0] or "image/jpeg"
        response = self.client.post(
            f"{self.twilio_api_base_url}/_sandbox/media",
            content=path.read_bytes(),
            headers={"Content-Type": content_type},
        )
        response.raise_for_status()
        return str(response.json()["url"])

    def send(self, body: str, photo: Path | None = None, sid: str | None = None) -> httpx.Response:
        media = [self.upload_photo(photo)] if photo else None
        response = self.post(self.form(body, media, sid))
        response.raise_for_status()
        return response

    def choices(self, reply: dict[str, Any]) -> list[Choice]:
        """The buttons or list rows of a reply sent with a ContentSid, read from the Content
        resource as the phone renders it; none for plain text."""
        sid = reply.get("content_sid")
        if not sid:
            return []
        response = self.client.get(
            f"{self.twilio_api_base_url}/v1/Content/{sid}",
            auth=(self.account_sid, self.auth_token),
        )
        response.raise_for_status()
        content = response.json()
        values = {**(content.get("variables") or {}), **(reply.get("content_variables") or {})}

        def fill(text: str | None) -> str | None:
            return _VARIABLE.sub(lambda m: str(values.get(m[1], m[0])), text) if text else text

        types = content.get("types") or {}
        quick = (types.get("twilio/quick-reply") or {}).get("actions") or []
        rows = (types.get("twilio/list-picker") or {}).get("items") or []
        return [
            Choice(str(fill(a["id"])), str(fill(a["title"])), None, "button") for a in quick
        ] + [
            Choice(str(fill(i["id"])), str(fill(i["item"])), fill(i.get("description")), "list")
            for i in rows
        ]

    def tap(self, reply: dict[str, Any], number: int) -> httpx.Response:
        """Tap a reply's `number`th button or list row (1-based), posting the fields Twilio
        sends for it: ButtonPayload/ButtonText, or ListId/ListTitle, with its title as Body."""
        choice = self.choices(reply)[number - 1]
        fields = self.form(choice.title)
        fields["OriginalRepliedMessageSid"] = str(reply["sid"])
        if choice.kind == "button":
            fields.update(
                MessageType="button", ButtonPayload=choice.payload, ButtonText=choice.title
            )
        else:
            fields.update(MessageType="interactive", ListId=choice.payload, ListTitle=choice.title)
        response = self.post(fields)
        response.raise_for_status()
        return response

    def replies(self) -> list[dict[str, Any]]:
        response = self.client.get(
            f"{self.twilio_api_base_url}/_sandbox/messages", params={"to": self.customer_number}
        )
        response.raise_for_status()
        return list(response.json()["messages"])

    def read_replies(self) -> int:
        """The customer opens the chat: the sandbox reports "read" for what they were sent."""
        response = self.client.post(
            f"{self.twilio_api_base_url}/_sandbox/read", json={"to": self.customer_number}
        )
        response.raise_for_status()
        return int(response.json()["read"])

    def wait_for_replies(
        self, count: int = 1, timeout: float = 20.0, settle: float = 0.3
    ) -> list[dict[str, Any]]:
        """New replies since the last call: at least `count`, then any landing within `settle`."""
        deadline = time.monotonic() + timeout
        new: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            new = self.replies()[self._seen :]
            if len(new) >= count:
                time.sleep(settle)
                new = self.replies()[self._seen :]
                break
            time.sleep(0.05)
        self._seen += len(new)
        return new

    def wait_for_answer(self, timeout: float = 30.0, settle: float = 0.4) -> list[dict[str, Any]]:
        """The next reply with all of its parts (a long reply goes out as several messages, one
        after another): at least one new message, then, with `database_url`, until this chat has
        nothing left to send; without it, any landing within `settle`."""
        if self.database_url is None:
            return self.wait_for_replies(count=1, timeout=timeout, settle=settle)
        deadline = time.monotonic() + timeout
        new = self.wait_for_replies(count=1, timeout=timeout, settle=0)
        if new:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                while self._sending(conn) and time.monotonic() < deadline:
                    time.sleep(0.02)
            rest = self.replies()[self._seen :]
            self._seen += len(rest)
            new += rest
        return new

    def _sending(self, conn: psycopg.Connection[Any]) -> bool:
        """Whether the stack has stored messages in this chat that it has not sent yet."""
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM messages m"
            " JOIN conversations c ON c.id = m.conversation_id"
            " JOIN businesses b ON b.id = c.business_id"
            " WHERE b.whatsapp_number = %s AND c.customer_phone = %s"
            " AND m.delivery_status = 'pending')",
            (self.business_number, self.customer_number),
        ).fetchone()
        return bool(row and row[0])
