"""Data requests in chat, and the privacy notice on a new customer's first reply: "nataka
data yangu" gets a working download link at once; "delete my data" asks first, with buttons,
and her yes anonymises her chat at once; the chat forgets her number once the confirmation
has gone. Every request is logged with its completion time."""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg.rows import dict_row

from duka.db.pool import tenant_transaction
from duka.privacy import export, requests
from duka.privacy.finish import finish_deletions
from duka.privacy.notice import notice_url
from tests.turns.chat import Chat

LINK = re.compile(r"https?://\S+/dashboard/my-data\?shop=([0-9a-f-]+)&token=(\S+)")


def logged(chat: Chat) -> list[dict[str, Any]]:
    with psycopg.connect(chat.db.admin, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT r.kind, r.channel, r.status, r.handled_by, r.completed_at - r.requested_at"
            " AS took FROM privacy_requests r JOIN conversations c ON c.id = r.conversation_id"
            " WHERE c.id = %s ORDER BY r.requested_at",
            (chat.conversation()["id"],),
        ).fetchall()


def test_only_the_first_reply_links_the_shops_privacy_notice(chat: Chat) -> None:
    first = chat.say("Hi")
    second = chat.say("do you have dresses?")

    assert first.splitlines()[-1] == "How we use your data: " + notice_url(chat.shop.id)
    assert "/dashboard/privacy" not in second


def test_a_swahili_request_for_her_data_gets_a_working_link_and_is_logged(chat: Chat) -> None:
    chat.say("Habari")
    chat.say("nimeona gauni nzuri")
    reply = chat.say("nataka data yangu")

    found = LINK.search(reply)
    assert found is not None, reply
    assert found.group(1) == chat.shop.id and "siku 3" in reply
    with tenant_transaction(chat.shop.id, url=chat.db.app) as conn:
        conversation_id = requests.conversation_for_token(conn, found.group(2))
        data = export.collect(conn, str(conversation_id))
    assert conversation_id == str(chat.conversation()["id"])
    assert data is not None and "nimeona gauni nzuri" in [m["text"] for m in data["messages"]]
    [entry] = logged(chat)
    assert (entry["kind"], entry["channel"], entry["status"]) == ("export", "chat", "completed")
    assert entry["handled_by"] == "agent" and entry["took"].total_seconds() < 5


def tables_holding(chat: Chat, needle: str) -> list[str]:
    """The shop's tables with a row whose JSON contains `needle`."""
    with psycopg.connect(chat.db.admin, row_factory=dict_row) as conn:
        tables = [
            r["table_name"]
            for r in conn.execute(
                "SELECT c.table_name FROM information_schema.columns c"
                " JOIN information_schema.tables t USING (table_schema, table_name)"
                " WHERE c.table_schema = 'public' AND c.column_name = 'business_id'"
                " AND t.table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        return [
            table
            for table in tables
            if conn.execute(
                f"SELECT 1 FROM {table} t WHERE business_id = %s"  # noqa: S608 - catalogue names
                " AND strpos(row_to_json(t)::text, %s) > 0 LIMIT 1",
                (chat.shop.id, needle),
            ).fetchone()
        ]


def delivered(chat: Chat) -> None:
    """Twilio took every reply so far (the turn tier only queues them)."""
    with psycopg.connect(chat.db.admin, autocommit=True) as conn:
        conn.execute(
            "UPDATE messages SET delivery_status = 'sent' WHERE conversation_id = %s"
            " AND delivery_status = 'pending'",
            (chat.conversation()["id"],),
        )


def test_no_keeps_everything_and_cancels_the_request(chat: Chat) -> None:
    chat.say("Hi, I want the red dress")
    ask = chat.say("delete my data")
    options = chat.options()
    kept = chat.tap(2)

    assert "Reply YES to delete" in ask
    assert [o["title"] for o in options] == ["Yes, delete", "No, keep"]
    assert "nothing was deleted" in kept
    assert chat.conversation()["customer_phone"] == chat.phone
    assert [(e["kind"], e["status"]) for e in logged(chat)] == [("deletion", "cancelled")]


def test_yes_deletes_her_chat_now_and_her_number_once_the_reply_has_gone(chat: Chat) -> None:
    chat.say("Habari, my name is Njeri and I live in Roysambu")
    ask = chat.say("futa taarifa zangu")
    delivered(chat)
    done = chat.tap(1)
    conversation_id = chat.conversation()["id"]

    assert "Jibu NDIO kufuta" in ask
    assert "imefutwa" in done
    with psycopg.connect(chat.db.admin, row_factory=dict_row) as conn:
        words = conn.execute(
            "SELECT content FROM messages WHERE conversation_id = %s AND content <> ''",
            (conversation_id,),
        ).fetchall()
        assert [w["content"] for w in words] == [done]  # only the confirmation, still to send
        assert [e["status"] for e in logged(chat)] == ["replying"]
    finish_deletions()  # the confirmation is still on its way: nothing more yet
    assert chat.conversation()["customer_phone"] == chat.phone
    delivered(chat)

    finish_deletions()

    with psycopg.connect(chat.db.admin, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT customer_phone, (SELECT count(*) FROM messages m WHERE m.conversation_id"
            " = c.id AND m.content <> '') AS worded, (SELECT status FROM privacy_requests r"
            " WHERE r.conversation_id = c.id) AS status FROM conversations c WHERE c.id = %s",
            (conversation_id,),
        ).fetchone()
    assert row is not None
    assert row["customer_phone"].startswith("+254******" + chat.phone[-3:] + " #")
    assert row["worded"] == 0 and row["status"] == "completed"
    assert tables_holding(chat, chat.phone[4:]) == []  # her number, in any format
    assert tables_holding(chat, "Roysambu") == []


def test_a_yes_later_with_nothing_asked_deletes_nothing(chat: Chat) -> None:
    chat.say("Hi")
    chat.say("yes")
    assert chat.conversation()["customer_phone"] == chat.phone
    assert logged(chat) == []
