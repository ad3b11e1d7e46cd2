"""Handlers for data requests in chat (privacy_words.py routes to them), and the privacy
notice's link on a new customer's first reply.

An export is done at once: she gets a link to her data, and the request is logged complete.
A deletion asks first ("Yes, delete" / "No, keep"); on her yes her data is anonymised in
this turn's transaction, and the chat forgets her number once the confirmation has gone
(duka/privacy/finish.py).
"""

from __future__ import annotations

from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.facts import Facts
from duka.orchestrator.interactive import Interactive, Option
from duka.orchestrator.privacy_words import AWAITING, TAP_DELETE, TAP_KEEP
from duka.orchestrator.shopping import Turn
from duka.orchestrator.state import ConversationState
from duka.orchestrator.templates import say
from duka.privacy import requests
from duka.privacy.deletion import erase_customer
from duka.privacy.notice import download_url, notice_url


def _log(deps: TurnDeps, kind: requests.Kind, completed: bool) -> str:
    return requests.log_request(
        deps.conn,
        business_id=deps.business_id,
        kind=kind,
        channel="chat",
        conversation_id=deps.conversation_id,
        phone=deps.customer_phone,
        handled_by=requests.AGENT,
        completed=completed,
    )


def export(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Send me my data": a download link, logged as a completed request."""
    token = requests.issue_download_token(deps.conn, _log(deps, "export", completed=True))
    facts.draft = say(
        "privacy_export_link",
        turn.language,
        shop=deps.business["name"],
        url=download_url(deps.business_id, token),
        days=requests.LINK_LIFETIME.days,
    )
    return facts


def ask_delete(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """ "Delete my data": logged, then confirmed with two buttons before anything goes."""
    earlier = requests.open_deletion(deps.conn, deps.conversation_id)
    if earlier is not None:
        requests.set_status(deps.conn, earlier, "cancelled")  # asked again: one request open
    _log(deps, "deletion", completed=False)
    deps.state.awaiting = AWAITING
    facts.draft = say("privacy_delete_ask", turn.language, shop=deps.business["name"])
    facts.interactive = Interactive(
        "buttons",
        (
            Option(TAP_DELETE, say("btn_privacy_delete", turn.language)),
            Option(TAP_KEEP, say("btn_privacy_keep", turn.language)),
        ),
    )
    return facts


def delete_confirmed(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """Her yes: her chat, media, profile and notes anonymised, money kept with her number
    masked; the chat starts afresh."""
    request_id = requests.open_deletion(deps.conn, deps.conversation_id) or _log(
        deps, "deletion", completed=False
    )
    erase_customer(
        deps.conn,
        conversation_id=deps.conversation_id,
        phone=deps.customer_phone,
        request_id=request_id,
        keep_number_for_reply=True,
    )
    requests.set_status(deps.conn, request_id, "replying")
    deps.state = ConversationState(language=deps.state.language)  # no cart, nothing remembered
    facts.draft = say("privacy_deleted", turn.language, shop=deps.business["name"])
    return facts


def delete_kept(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    request_id = requests.open_deletion(deps.conn, deps.conversation_id)
    if request_id is not None:
        requests.set_status(deps.conn, request_id, "cancelled")
    deps.state.awaiting = None
    facts.draft = say("privacy_delete_kept", turn.language)
    return facts


def is_first_reply(deps: TurnDeps) -> bool:
    """Nothing sent to her before: her first conversation with this shop (one per number)."""
    row = deps.conn.execute(
        "SELECT NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = %s"
        " AND role <> 'customer') AS first",
        (deps.conversation_id,),
    ).fetchone()
    return bool(row and row["first"])


def with_notice_link(deps: TurnDeps, text: str, first_reply: bool) -> str:
    """The first reply to a new customer ends with one line linking the privacy notice."""
    if not first_reply:
        return text
    line = say("privacy_notice_line", deps.language, url=notice_url(deps.business_id))
    return f"{text}\n\n{line}"
