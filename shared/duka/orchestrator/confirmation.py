"""Never act on a guess: a cart change, an M-Pesa prompt or a handover needs a decisive reading.

A non-decisive reading of such an action is held in `state.pending_action` (awaiting
"action_confirmation") and the agent asks one short question naming the likely choice, or two
numbered ones. A yes (or "1"/"2") carries the held message out as if it had been decisive
(routing.py); a no drops it; a message with a clear request of its own is handled instead. A
question older than CONFIRMATION_TTL is never acted on.

The same module answers a wait the customer did not answer ("hmm" to "which size?"): the
question is asked again and the wait kept, and a "no" lets it go.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from duka.catalog.sizes import match_size
from duka.orchestrator.checkout_flow import ask_address
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.entities import Entities
from duka.orchestrator.facts import Facts
from duka.orchestrator.shopping import Turn, cart_targets, resolve_shown
from duka.orchestrator.state import ConversationState, PendingAction
from duka.orchestrator.templates import say

AWAITING = "action_confirmation"
CONFIRMATION_TTL = timedelta(minutes=10)
# What changes the cart, sends an M-Pesa prompt or hands over.
ACTIONS = frozenset(
    {
        "add_to_cart",
        "remove_from_cart",
        "change_quantity",
        "clear_cart",
        "checkout",
        "talk_to_person",
    }
)
# A second likely reading is offered only when the agent can say what it would do.
_OFFERED = ACTIONS | {"product_search", "view_cart"}
_NEEDS_CART = frozenset({"remove_from_cart", "change_quantity", "clear_cart", "checkout"})
_CHOICE = re.compile(r"^\W*(?:#|no\.?\s*|number\s+|namba\s+)?([12])\W*$", re.IGNORECASE)


def is_guess(intent: str, decisive: bool) -> bool:
    return intent in ACTIONS and not decisive


def possible(intent: str, state: ConversationState) -> bool:
    """Whether the conversation holds what the action needs: a cart, or an item to add."""
    if intent in _NEEDS_CART:
        return bool(state.current_cart().items)
    if intent == "add_to_cart":
        return bool(state.shown or state.pending_add)
    return True


def can_carry_out(deps: TurnDeps, turn: Turn, intent: str) -> bool:
    """False for an add in a size the item lacks: its handler refuses and changes nothing, so
    the customer hears the sizes there are instead of a question about an impossible add."""
    if intent != "add_to_cart" or not turn.entities.sizes:
        return True
    shown = resolve_shown(deps, turn.entities) or deps.state.pending_add
    return shown is None or match_size(turn.entities.sizes[0], shown.sizes) is not None


def hold(
    state: ConversationState, intent: str, alternatives: Sequence[str], text: str, now: datetime
) -> None:
    """Keep the action (and the next likely reading) until the customer confirms it."""
    second = [a for a in alternatives if a != intent and a in _OFFERED][:1]
    state.awaiting = AWAITING
    state.pending_action = PendingAction(
        intents=[intent, *second], text=text, question="", asked_at=now.isoformat()
    )


def expired(pending: PendingAction, now: datetime) -> bool:
    try:
        asked_at = datetime.fromisoformat(pending.asked_at)
    except ValueError:
        return True
    return now - asked_at > CONFIRMATION_TTL


def chosen(pending: PendingAction, entities: Entities, text: str) -> str | None:
    """The reading the answer picks: a yes to the one offered, or "1"/"2" when two were."""
    number = _CHOICE.match(text)
    if number and int(number.group(1)) <= len(pending.intents):
        return pending.intents[int(number.group(1)) - 1]
    if says_yes(entities) and len(pending.intents) == 1:
        return pending.intents[0]
    return None


def says_yes(entities: Entities) -> bool:
    return entities.yes and not entities.no


def declines(entities: Entities) -> bool:
    return entities.no and not entities.yes


def ask(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """Handler for "confirm_action": the one short question about the action `hold` kept."""
    pending = deps.state.pending_action
    if pending is None:  # hold() always runs first; nothing to ask means nothing to do
        facts.draft = say("other", turn.language)
        return facts
    actions = [_describe(deps, turn, intent) for intent in pending.intents]
    if len(actions) == 1:
        question = say("confirm_action", turn.language, action=actions[0])
    else:
        question = say("confirm_choice", turn.language, first=actions[0], second=actions[1])
    pending.question = question
    facts.draft = question
    return facts


def _describe(deps: TurnDeps, turn: Turn, intent: str) -> str:
    """What the agent would do, naming the item where it can tell which."""
    language, entities = turn.language, turn.entities
    item = say("this_item", language)
    if intent == "add_to_cart":
        shown = resolve_shown(deps, entities) or deps.state.pending_add
        if shown is not None:
            said = entities.sizes[0] if entities.sizes else None
            size = (match_size(said, shown.sizes) or said) if said else None
            item = shown.name + (f" (size {size})" if size else "")
    elif intent in ("remove_from_cart", "change_quantity"):
        targets = cart_targets(deps, entities, turn.text)
        if len(targets) == 1:
            item = targets[0].name
        if intent == "change_quantity" and entities.quantity:
            return say("do_set_quantity", language, item=item, quantity=entities.quantity)
    return say(f"do_{intent}", language, item=item)


def ask_again(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """Handler for "ask_again": an unclear answer to a wait keeps it and repeats its question."""
    state, language = deps.state, turn.language
    if state.awaiting == AWAITING and state.pending_action is not None:
        facts.draft = state.pending_action.question
    elif state.awaiting == "size" and state.pending_add is not None:
        item = state.pending_add
        sizes = ", ".join(s for s in item.sizes if s.lower() != "free")
        facts.draft = say("which_size", language, item=item.name, sizes=sizes)
    elif state.awaiting == "delivery_address":
        return ask_address(deps, turn, facts)
    elif state.awaiting == "checkout_confirmation":
        facts.draft = say("checkout_prompt", language)
    elif state.awaiting == "payment_phone":
        facts.draft = say("ask_pay_phone", language)
    else:
        state.awaiting = None
        facts.draft = say("other", language)
    return facts


def declined(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """Handler for "declined": a no to what the agent asked; the wait is already dropped."""
    facts.draft = say("no_problem", turn.language)
    return facts


def expired_action(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """Handler for "action_expired": a yes that came too late does nothing."""
    facts.draft = say("action_expired", turn.language)
    return facts
