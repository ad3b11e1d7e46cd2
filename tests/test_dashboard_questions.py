"""Questions the agent left to the owner, answered in one step, and the owner's own
question/answer pairs in Settings (Flask's test client on the real stack)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.dashboard_helpers import (
    OwnedBoutique,
    OwnerClient,
    add_conversation,
    sandbox_messages,
)


@pytest.fixture()
def owner(app: Flask, stack: dict[str, str], shop: OwnedBoutique) -> OwnerClient:
    return OwnerClient(app, stack, shop.owner)


def ask(admin_db: Any, conversation_id: str, question: str, language: str = "en") -> str:
    """What the agent's ask_owner records (its turn is covered in tests/turns)."""
    admin_db.execute(
        'UPDATE conversations SET metadata = metadata || \'{"needs_attention": true,'
        ' "attention_reason": "question"}\' WHERE id = %s',
        (conversation_id,),
    )
    row = admin_db.execute(
        "INSERT INTO owner_questions (business_id, conversation_id, customer_phone, question,"
        " topic, language) SELECT business_id, id, customer_phone, %s, 'pickup', %s"
        " FROM conversations WHERE id = %s RETURNING id",
        (question, language, conversation_id),
    ).fetchone()
    return str(row["id"])


def phone_of(admin_db: Any, conversation_id: str) -> str:
    row = admin_db.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (conversation_id,)
    ).fetchone()
    return str(row["customer_phone"])


def test_a_waiting_question_is_answered_from_the_overview_in_one_step(owner, shop, admin_db, stack):
    chat = add_conversation(admin_db, shop.id, messages=[("customer", "Do you do pickup?")])
    question = ask(admin_db, chat, "Do you do pickup?")

    overview = owner.get("/dashboard/").text
    thread = owner.get(f"/dashboard/conversations/{chat}").text
    response = owner.post(
        f"/dashboard/questions/{question}/answer",
        {"text": "Yes, from the shop on Moi Avenue.", "save": "yes", "back": "overview"},
    )
    after = owner.get(response.location).text

    sent = sandbox_messages(stack, phone_of(admin_db, chat))
    stored = admin_db.execute(
        "SELECT status, answer, answered_by FROM owner_questions WHERE id = %s", (question,)
    ).fetchone()
    conversation = admin_db.execute(
        "SELECT status, metadata FROM conversations WHERE id = %s", (chat,)
    ).fetchone()
    pairs = admin_db.execute(
        "SELECT question, answer_en, answer_sw FROM shop_answers WHERE business_id = %s",
        (shop.id,),
    ).fetchall()
    assert "Customers are waiting for your answer" in overview and "Do you do pickup?" in overview
    assert "Save as an answer for next time" in overview
    assert "Do you do pickup?" in thread and "Send answer" in thread
    assert [m["body"] for m in sent] == [
        "About your question “Do you do pickup?”: Yes, from the shop on Moi Avenue."
    ]
    assert stored == {
        "status": "answered",
        "answer": "Yes, from the shop on Moi Avenue.",
        "answered_by": shop.owner,
    }
    assert conversation["status"] == "active"  # the agent keeps answering this chat
    assert "needs_attention" not in conversation["metadata"]
    assert pairs == [
        {
            "question": "Do you do pickup?",
            "answer_en": "Yes, from the shop on Moi Avenue.",
            "answer_sw": "",
        }
    ]
    assert "Answer sent to the customer. Saved in Settings for next time." in after
    assert "Customers are waiting" not in after
    assert "Yes, from the shop on Moi Avenue." in owner.get("/dashboard/settings").text


def test_an_answer_from_the_chat_in_swahili_is_not_saved_unless_asked(owner, shop, admin_db, stack):
    chat = add_conversation(admin_db, shop.id, messages=[("customer", "Mnafungua Jumapili?")])
    question = ask(admin_db, chat, "Mnafungua Jumapili?", language="sw")

    response = owner.post(
        f"/dashboard/questions/{question}/answer",
        {"text": "Ndio, saa tano hadi saa kumi.", "back": "thread"},
    )
    again = owner.post(f"/dashboard/questions/{question}/answer", {"text": "Twice"})

    sent = sandbox_messages(stack, phone_of(admin_db, chat))
    assert response.location.endswith(f"/dashboard/conversations/{chat}")
    assert [m["body"] for m in sent] == [
        "Kuhusu swali lako “Mnafungua Jumapili?”: Ndio, saa tano hadi saa kumi."
    ]
    assert again.status_code == 404  # already answered: nothing is sent twice
    assert admin_db.execute(
        "SELECT count(*) AS n FROM shop_answers WHERE business_id = %s", (shop.id,)
    ).fetchone() == {"n": 0}


def test_an_empty_answer_is_refused_and_nothing_is_sent(owner, shop, admin_db, stack):
    chat = add_conversation(admin_db, shop.id)
    question = ask(admin_db, chat, "Do you do pickup?")

    response = owner.post(f"/dashboard/questions/{question}/answer", {"text": "  "})

    assert "Type the answer first." in owner.get(response.location).text
    assert sandbox_messages(stack, phone_of(admin_db, chat)) == []
    assert admin_db.execute(
        "SELECT status FROM owner_questions WHERE id = %s", (question,)
    ).fetchone() == {"status": "open"}


def test_owner_adds_edits_and_deletes_their_own_answers(owner, shop, admin_db):
    added = owner.post(
        "/dashboard/settings/answers",
        {
            "question": "Do you do alterations?",
            "phrasings": "alterations\n  mnashona  \n",
            "answer_en": "Yes, hemming is free.",
            "answer_sw": "Ndio, kushona ni bure.",
        },
    )
    [pair] = admin_db.execute(
        "SELECT * FROM shop_answers WHERE business_id = %s", (shop.id,)
    ).fetchall()
    page = owner.get("/dashboard/settings").text
    edited = owner.post(
        f"/dashboard/settings/answers/{pair['id']}",
        {"question": "Do you do alterations?", "answer_en": "Yes, KES 200 a hem."},
    )
    after_edit = admin_db.execute(
        "SELECT phrasings, answer_en, answer_sw FROM shop_answers WHERE id = %s", (pair["id"],)
    ).fetchone()
    deleted = owner.post(f"/dashboard/settings/answers/{pair['id']}/delete", {})

    assert added.status_code == edited.status_code == deleted.status_code == 302
    assert pair["phrasings"] == ["alterations", "mnashona"]
    assert pair["answer_sw"] == "Ndio, kushona ni bure."
    assert "Do you do alterations?" in page and "Ndio, kushona ni bure." in page
    assert after_edit == {"phrasings": [], "answer_en": "Yes, KES 200 a hem.", "answer_sw": ""}
    assert admin_db.execute(
        "SELECT count(*) AS n FROM shop_answers WHERE business_id = %s", (shop.id,)
    ).fetchone() == {"n": 0}


def test_an_answer_without_a_question_or_english_text_says_what_to_fix(owner, shop, admin_db):
    response = owner.post(
        "/dashboard/settings/answers", {"question": "", "answer_sw": "Ndio, tunashona."}
    )

    assert response.status_code == 422
    assert "Write the question as a customer would ask it." in response.text
    assert "Write the answer in English" in response.text
    assert "Ndio, tunashona." in response.text  # what the owner typed is kept
    assert admin_db.execute(
        "SELECT count(*) AS n FROM shop_answers WHERE business_id = %s", (shop.id,)
    ).fetchone() == {"n": 0}
