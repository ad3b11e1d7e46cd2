"""Delivery receipts: the sandbox posts Twilio's status callbacks to whatsapp_inbound's signed
`/webhook/whatsapp/status`; statuses are kept in order and a failure reaches the owner once."""

from __future__ import annotations

import time
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from duka.delivery_receipts import failure_reason
from duka.store import message_status

STATUS_PATH = "/webhook/whatsapp/status"


def post_status(
    phone: Any, sid: str, status: str, *, error_code: int | None = None, to: str | None = None
) -> httpx.Response:
    """What Twilio posts for one status change, signed with the account's auth token."""
    url = phone.webhook_base_url + STATUS_PATH
    fields = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": phone.account_sid,
        "From": f"whatsapp:{phone.business_number}",
        "To": f"whatsapp:{to or phone.customer_number}",
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
    }
    if error_code is not None:
        fields["ErrorCode"] = str(error_code)
    signature = RequestValidator(phone.auth_token).compute_signature(url, fields)
    return httpx.post(url, data=fields, headers={"X-Twilio-Signature": signature})


def sandbox(phone: Any, path: str, **spec: Any) -> Any:
    response = httpx.post(phone.twilio_api_base_url + path, json=spec)
    response.raise_for_status()
    return response.json()


def callbacks_done(phone: Any) -> list[dict[str, Any]]:
    response = httpx.get(phone.twilio_api_base_url + "/_sandbox/callbacks", timeout=30)
    return list(response.json()["callbacks"])


def reply_row(admin_db: Any, sid: str) -> dict[str, Any]:
    row = admin_db.execute("SELECT * FROM messages WHERE external_id = %s", (sid,)).fetchone()
    assert row is not None
    return dict(row)


def statuses(admin_db: Any, message_id: Any) -> list[str]:
    rows = admin_db.execute(
        "SELECT status FROM message_statuses WHERE message_id = %s ORDER BY id", (message_id,)
    ).fetchall()
    return [r["status"] for r in rows]


def wait_for_status(admin_db: Any, message_id: Any, wanted: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    best = None
    while time.monotonic() < deadline:
        best = message_status.latest(admin_db, str(message_id))
        if best is not None and best.status == wanted:
            return best.status
        time.sleep(0.05)
    return best.status if best else "none"


def test_a_reply_is_delivered_then_read_and_a_late_sent_changes_nothing(phone, admin_db):
    phone.send("Do you have a dress?")
    reply = phone.wait_for_answer()[0]
    row = reply_row(admin_db, reply["sid"])
    assert reply["status_callback"].endswith(STATUS_PATH)

    assert wait_for_status(admin_db, row["id"], "delivered") == "delivered"
    assert phone.read_replies() >= 1
    assert wait_for_status(admin_db, row["id"], "read") == "read"
    assert post_status(phone, reply["sid"], "sent").status_code == 200  # late, out of order

    best = message_status.latest(admin_db, str(row["id"]))
    assert best is not None and best.status == "read"
    assert statuses(admin_db, row["id"]) == ["queued", "sent", "delivered", "read", "sent"]
    assert reply_row(admin_db, reply["sid"])["delivery_status"] == "sent"


def test_a_number_not_on_whatsapp_fails_the_reply_in_words_and_flags_the_chat_once(phone, admin_db):
    sandbox(phone, "/_sandbox/undeliverable", to=phone.customer_number, code=63024)
    phone.send("Do you have a dress?")
    reply = phone.wait_for_answer()[0]
    row = reply_row(admin_db, reply["sid"])

    assert wait_for_status(admin_db, row["id"], "failed") == "failed"
    failed = reply_row(admin_db, reply["sid"])
    assert failed["delivery_status"] == "failed"
    assert failed["delivery_error"] == "not a WhatsApp number (error 63024)"
    conversation = admin_db.execute(
        "SELECT metadata FROM conversations WHERE id = %s", (row["conversation_id"],)
    ).fetchone()
    assert conversation["metadata"]["attention_reason"] == "reply_not_delivered"

    # A second failure report (another code) is stored but tells the owner nothing new.
    assert post_status(phone, reply["sid"], "undelivered", error_code=63016).status_code == 200
    again = reply_row(admin_db, reply["sid"])
    assert again["delivery_error"] == "not a WhatsApp number (error 63024)"
    assert statuses(admin_db, row["id"])[-2:] == ["failed", "undelivered"]


def test_a_forged_status_callback_is_refused_and_stores_nothing(phone, admin_db):
    phone.send("Do you have a dress?")
    reply = phone.wait_for_answer()[0]
    callbacks_done(phone)
    row = reply_row(admin_db, reply["sid"])
    before = statuses(admin_db, row["id"])

    forged = httpx.post(
        phone.webhook_base_url + STATUS_PATH,
        data={"MessageSid": reply["sid"], "MessageStatus": "failed", "ErrorCode": "63024"},
        headers={"X-Twilio-Signature": "forged"},
    )
    # Signed for the inbound webhook's URL, not the status URL: also refused.
    url = phone.webhook_base_url + "/webhook/whatsapp"
    fields = {"MessageSid": reply["sid"], "MessageStatus": "read"}
    replayed = httpx.post(
        phone.webhook_base_url + STATUS_PATH,
        data=fields,
        headers={
            "X-Twilio-Signature": RequestValidator(phone.auth_token).compute_signature(url, fields)
        },
    )

    assert forged.status_code == 403
    assert replayed.status_code == 403
    assert statuses(admin_db, row["id"]) == before
    assert reply_row(admin_db, reply["sid"])["delivery_status"] == "sent"


def test_a_status_for_an_unknown_message_is_acknowledged_and_ignored(phone, admin_db):
    unknown = "SM" + "0" * 32
    answer = post_status(phone, unknown, "failed", error_code=63016)

    assert answer.status_code == 200
    count = admin_db.execute(
        "SELECT count(*) AS n FROM message_statuses s JOIN messages m ON m.id = s.message_id"
        " WHERE m.external_id = %s",
        (unknown,),
    ).fetchone()
    assert count["n"] == 0


def test_failure_reasons_are_in_the_owners_words():
    assert failure_reason(63016).startswith("outside the 24-hour window")
    assert failure_reason(63024) == "not a WhatsApp number (error 63024)"
    assert failure_reason(63003) == failure_reason(21211).replace("21211", "63003")
    assert failure_reason(30008) == "WhatsApp could not deliver it (error 30008)"
    assert failure_reason(None) == "WhatsApp could not deliver it"
