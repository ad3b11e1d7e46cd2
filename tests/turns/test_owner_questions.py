"""A question the owner has not answered in the settings goes to the owner's dashboard; the
owner answers it in one step, the customer gets it, and, saved, it answers the next customer."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from duka.dashboard.owner_answers import answer_question
from duka.db.pool import tenant_transaction, transaction
from duka.store import businesses, shop_knowledge
from duka_local.stack.database import DatabaseUrls
from tests.conftest import random_kenyan_number
from tests.turns.chat import Chat, Shop
from tests.turns.models import FunctionModel, echo_draft


@pytest.fixture()
def boutique(turn_database: DatabaseUrls, turn_env: None) -> Shop:
    """A boutique of its own (no catalogue needed): its answers must not leak into others."""
    number, owner = random_kenyan_number(), random_kenyan_number()
    with transaction(turn_database.admin) as conn:
        business_id = businesses.create_business(
            conn, name="Zawadi Boutique", whatsapp_number=number, phone=owner
        )
    return Shop(business_id, number, owner)


def open_questions(db: DatabaseUrls, shop: Shop) -> list[dict[str, Any]]:
    with tenant_transaction(shop.id, url=db.app) as conn:
        return shop_knowledge.open_questions(conn)


def owner_answers(
    db: DatabaseUrls, shop: Shop, question_id: str, text: str, *, save: bool = True
) -> str | None:
    """The owner's one step on the dashboard; the text queued for the customer."""
    with tenant_transaction(shop.id, url=db.app) as conn:
        answered = answer_question(conn, shop.id, question_id, text, shop.owner, save=save)
        if answered is None:
            return None
        row = conn.execute(
            "SELECT role, content, delivery_status FROM messages WHERE id = %s",
            (answered.message_id,),
        ).fetchone()
    assert row is not None and row["role"] == "owner" and row["delivery_status"] == "pending"
    return str(row["content"])


@pytest.mark.parametrize(
    ("question", "asked", "answer", "sent"),
    [
        (
            "Do you do pickup?",
            "I'll ask the owner about pickup",
            "Yes, from our shop on Moi Avenue, 10am to 6pm.",
            "About your question “Do you do pickup?”: Yes, from our shop on Moi Avenue",
        ),
        (
            "Naweza lipa nikipokea mzigo?",
            "Nitamuuliza mwenye duka kuhusu kulipa ukipokea mzigo",
            "Hapana, tunapokea M-Pesa kabla ya kutuma mzigo.",
            "Kuhusu swali lako “Naweza lipa nikipokea mzigo?”: Hapana, tunapokea M-Pesa",
        ),
    ],
)
def test_an_unset_question_is_answered_by_the_owner_once_and_by_the_agent_next_time(
    boutique: Shop, turn_database: DatabaseUrls, question: str, asked: str, answer: str, sent: str
):
    customer = Chat(boutique, turn_database)
    first = customer.say(question)
    [waiting] = open_questions(turn_database, boutique)
    text = owner_answers(turn_database, boutique, str(waiting["id"]), answer)
    metadata = customer.conversation()["metadata"]
    next_customer = Chat(boutique, turn_database)
    again = next_customer.say(question)

    assert asked in first
    assert waiting["question"] == question and waiting["customer_phone"] == customer.phone
    assert str(waiting["conversation_id"]) == str(customer.conversation()["id"])
    assert text is not None and text.startswith(sent)
    assert "needs_attention" not in metadata and "attention_reason" not in metadata
    assert answer in again and "ask the owner" not in again and "Nitamuuliza" not in again
    assert open_questions(turn_database, boutique) == []
    assert "needs_attention" not in next_customer.conversation()["metadata"]


def test_an_answer_not_saved_is_sent_but_the_next_customer_is_asked_about_again(
    boutique: Shop, turn_database: DatabaseUrls
):
    Chat(boutique, turn_database).say("Are you open on Sunday?")
    [waiting] = open_questions(turn_database, boutique)
    owner_answers(turn_database, boutique, str(waiting["id"]), "Yes, 11 to 4.", save=False)
    again = Chat(boutique, turn_database).say("Are you open on Sunday?")

    assert "I'll ask the owner about opening hours" in again
    assert len(open_questions(turn_database, boutique)) == 1


def test_the_same_question_twice_in_a_chat_is_one_open_question(
    boutique: Shop, turn_database: DatabaseUrls
):
    customer = Chat(boutique, turn_database)
    customer.say("do you accept returns")
    customer.say("do you accept returns")

    [waiting] = open_questions(turn_database, boutique)
    assert waiting["topic"] == "returns"


def test_an_owner_pair_answers_in_the_customers_language_and_is_a_fact_for_the_model(
    boutique: Shop, turn_database: DatabaseUrls
):
    with tenant_transaction(boutique.id, url=turn_database.app) as conn:
        shop_knowledge.add_shop_answer(
            conn,
            boutique.id,
            question="Can I collect my order myself?",
            phrasings=("pick it up", "kuchukua mwenyewe"),
            answer_en="Yes, collect it at Kenya Cinema, ground floor.",
            answer_sw="Ndio, chukua Kenya Cinema, ground floor.",
        )
    english = Chat(boutique, turn_database).say("Can I come pick it up myself?")
    swahili = Chat(boutique, turn_database).say("nitakuja kuchukua mwenyewe")
    model = FunctionModel(echo_draft)
    online = Chat(boutique, turn_database, model=model).say("can i pick it up on saturday?")

    assert "Yes, collect it at Kenya Cinema" in english
    assert "Ndio, chukua Kenya Cinema" in swahili
    assert "Yes, collect it at Kenya Cinema" in online
    assert (
        "Fact: The owner's own answer to “Can I collect my order myself?”: Yes, collect it"
        in model.requests[0].prompt
    )
    assert open_questions(turn_database, boutique) == []


def test_an_owner_can_never_answer_another_boutiques_question(
    boutique: Shop, turn_database: DatabaseUrls
):
    Chat(boutique, turn_database).say("Do you do pickup?")
    [theirs] = open_questions(turn_database, boutique)
    other = Shop(*_other_boutique(turn_database))

    sent = owner_answers(turn_database, other, str(theirs["id"]), "Yes")

    assert sent is None
    assert open_questions(turn_database, other) == []
    assert len(open_questions(turn_database, boutique)) == 1


def _other_boutique(db: DatabaseUrls) -> tuple[str, str, str]:
    number, owner = random_kenyan_number(), random_kenyan_number()
    with psycopg.connect(db.admin, autocommit=True, row_factory=dict_row) as conn:
        row = conn.execute(
            "INSERT INTO businesses (name, whatsapp_number, phone) VALUES ('Other', %s, %s)"
            " RETURNING id",
            (number, owner),
        ).fetchone()
    assert row is not None
    return str(row["id"]), number, owner


def test_a_pair_answers_a_question_the_classifier_took_for_a_search(
    boutique: Shop, turn_database: DatabaseUrls
):
    with tenant_transaction(boutique.id, url=turn_database.app) as conn:
        shop_knowledge.add_shop_answer(
            conn,
            boutique.id,
            question="Do you sell gift cards?",
            phrasings=("gift card", "gift voucher", "vocha ya zawadi"),
            answer_en="Yes: gift cards from KES 1,000, ask us for one.",
            answer_sw="Ndio: vocha za zawadi kuanzia KES 1,000.",
        )
    english = Chat(boutique, turn_database).say("do you sell gift cards")
    swahili = Chat(boutique, turn_database).say("mnauza vocha ya zawadi?")

    assert "Yes: gift cards from KES 1,000" in english, english
    assert "Ndio: vocha za zawadi" in swahili, swahili
