"""Takeover: the owner answers a thread in person while the agent stays quiet, then hands back."""

from __future__ import annotations

from duka.dashboard.composer import owner_templates
from duka.db.pool import Connection
from duka.errors import Rejected
from duka.orders import attribution
from duka.outbound import MAX_WHATSAPP_CHARS, queue_reply
from duka.store import consent, conversations, messages
from duka.whatsapp_templates import template_metadata

MAX_TEMPLATE_VARIABLE_CHARS = 200
OPTED_OUT_TEMPLATE = (
    "This customer replied STOP, so templates can't be sent to them. They get your reply when "
    "they write to the shop again."
)


class NotTakenOver(Rejected):
    """The owner must press "Take over" before replying, so the agent and owner never both talk."""


class ReplyInvalid(Rejected):
    """The reply is empty or too long: the owner edits it."""


def take_over(conn: Connection, conversation_id: str, owner_phone: str) -> bool:
    """Stop the agent in this thread; the owner has seen any "talk to a person" request. An
    order she pays in the next 72 hours counts as the owner's sale (attribution)."""
    row = conn.execute(
        "UPDATE conversations SET status = 'handed_over', updated_at = now(),"
        " metadata = (metadata - 'needs_attention')"
        " || jsonb_build_object('taken_over_by', %s::text) WHERE id = %s"
        " RETURNING business_id, customer_phone",
        (owner_phone, conversation_id),
    ).fetchone()
    if row is None:
        return False
    attribution.record_touch(
        conn,
        business_id=str(row["business_id"]),
        customer_phone=row["customer_phone"],
        kind="owner_takeover",
        ref=conversation_id,
    )
    return True


def hand_back(conn: Connection, conversation_id: str) -> list[str] | None:
    """Let the agent answer again; returns the customer messages it still has to answer."""
    row = conn.execute(
        "UPDATE conversations SET status = 'active', updated_at = now(),"
        " metadata = metadata - 'needs_attention' - 'taken_over_by'"
        " WHERE id = %s RETURNING id",
        (conversation_id,),
    ).fetchone()
    if row is None:
        return None
    return [str(m["id"]) for m in messages.unanswered_inbound(conn, conversation_id)]


def store_owner_reply(
    conn: Connection, business_id: str, conversation_id: str, text: str, owner_phone: str
) -> str | None:
    """Store the reply as an `owner` message to send; it answers what the customer wrote."""
    body = text.strip()
    if not body:
        raise ReplyInvalid("Type a message first.")
    if len(body) > MAX_WHATSAPP_CHARS:
        raise ReplyInvalid(f"WhatsApp messages are at most {MAX_WHATSAPP_CHARS} characters.")
    conversation = conversations.lock_conversation(conn, conversation_id)
    if conversation is None:
        return None
    if conversation["status"] != "handed_over":
        raise NotTakenOver("Press “Take over” first, so the agent stops replying in this chat.")
    conn.execute(  # the owner is answering: the "talk to a person" request is dealt with
        "UPDATE conversations SET metadata = metadata - 'needs_attention' WHERE id = %s",
        (conversation_id,),
    )
    unanswered = [str(m["id"]) for m in messages.unanswered_inbound(conn, conversation_id)]
    return queue_reply(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        text=body,
        answers=unanswered,
        role="owner",
        metadata={"owner_phone": owner_phone},
    )


def store_owner_template(
    conn: Connection,
    business_id: str,
    conversation_id: str,
    name: str,
    variables: dict[str, str],
    owner_phone: str,
) -> str | None:
    """Store an approved template to send once the 24-hour window has closed (free text would
    not be delivered); the stored text is what the customer reads."""
    template = next((t for t in owner_templates() if t.name == name), None)
    if template is None:
        raise ReplyInvalid("Choose one of the templates.")
    filled = {key: variables.get(key, "").strip() for key in template.samples}
    if not all(filled.values()):
        raise ReplyInvalid("Fill in every blank of the template.")
    if any(len(value) > MAX_TEMPLATE_VARIABLE_CHARS for value in filled.values()):
        raise ReplyInvalid(f"Each blank is at most {MAX_TEMPLATE_VARIABLE_CHARS} characters.")
    conversation = conversations.lock_conversation(conn, conversation_id)
    if conversation is None:
        return None
    if conversation["status"] != "handed_over":
        raise NotTakenOver("Press “Take over” first, so the agent stops replying in this chat.")
    if consent.opted_out(conn, business_id, conversation["customer_phone"]):
        raise ReplyInvalid(OPTED_OUT_TEMPLATE)
    language = template.language_for((conversation["metadata"] or {}).get("language"))
    return queue_reply(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        text=template.render(language, filled),
        role="owner",
        metadata={
            "owner_phone": owner_phone,
            "template": {**template_metadata(name, filled), "language": language},
            "proactive": True,  # the customer has not written for a day: not a direct reply
        },
    )


def mark_read(conn: Connection, conversation_id: str) -> None:
    """Skipped while the agent holds the row (mid-turn): the page's next refresh marks it."""
    conn.execute(
        "UPDATE conversations SET owner_read_at = now() WHERE id = ("
        " SELECT id FROM conversations WHERE id = %s FOR UPDATE SKIP LOCKED)",
        (conversation_id,),
    )
