"""ConversationState: the typed form of `conversations.metadata`, loaded and saved once a turn.

It serialises to the JSON the row always held, because SQL elsewhere reads it (the dashboard's
`metadata->>'needs_attention'`, payment notices' `metadata->>'language'`, the cart cleared by a
paid order): a field that is None is left out, as a popped key was, and keys this model does
not know survive a load/save round trip (extra="allow").
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from duka.orchestrator.cart_model import Cart
from duka.orchestrator.facts import ShownProduct
from duka.orders.pricing import DeliveryDetails


class Delivery(BaseModel):
    """Where the order goes and its fee, asked before the M-Pesa prompt."""

    model_config = ConfigDict(extra="allow")

    address: str
    area: str | None = None
    fee_kes: int = 0
    pickup_point_id: str | None = None  # collected at one of the shop's pickup points
    quote_id: str | None = None  # a place no zone covers: the owner sets the fee (quotes.py)

    @model_serializer(mode="wrap")
    def _leave_out_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if not (v is None and k in _OPTIONAL_CHOICE)}

    def as_details(self) -> DeliveryDetails:
        """What checkout prices: the fee itself is read again from the database."""
        return DeliveryDetails(
            self.address, self.area, self.fee_kes, self.pickup_point_id, self.quote_id
        )


_OPTIONAL_CHOICE = frozenset({"pickup_point_id", "quote_id"})  # left out when None, as before


class PayerQuestion(BaseModel):
    """The question "send the prompt to 0712 *** 678?": number, what it pays for, when asked."""

    model_config = ConfigDict(extra="allow")

    phone: str | None = None
    order: str | None = None  # fingerprint of cart and delivery (payer_confirmation.py)
    asked_at: str | None = None  # ISO timestamp, parsed when the answer comes


class PendingAction(BaseModel):
    """An action read from a guess, held until the customer confirms it (confirmation.py)."""

    model_config = ConfigDict(extra="allow")

    intents: list[str]  # the likely readings offered, most likely first (one, or two numbered)
    text: str  # the customer's message, acted on as written once confirmed
    question: str  # what the agent asked, asked again when the answer is unclear
    asked_at: str  # ISO timestamp: a yes after CONFIRMATION_TTL does nothing


class ConversationState(BaseModel):
    model_config = ConfigDict(extra="allow")

    cart: Cart | None = None
    shown: list[ShownProduct] | None = None  # the numbered list the customer saw last
    pending_add: ShownProduct | None = None  # the item waiting for its size
    last_added: str | None = None  # product id: "make it 2" means this one
    sold_out: ShownProduct | None = None  # the sold-out item asked for: "when is it back?"
    awaiting: str | None = None  # routing.AWAITED says which intents answer each
    payer_confirmation: PayerQuestion | None = None
    pending_action: PendingAction | None = None  # awaiting "action_confirmation"
    delivery: Delivery | None = None
    last_delivery: Delivery | None = None  # the previous order's, never reused silently
    # The pickup points listed last (ids, in the order shown) and where the list starts.
    pickup_shown: list[str] | None = None
    pickup_offset: int | None = None
    pickup_area: str | None = None  # the area the list was sorted for
    pay_phone: str | None = None
    order_id: str | None = None
    language: str | None = None
    # Set by the handover handler, or by SQL (messages.flag_for_owner, dashboard takeover).
    needs_attention: bool | None = None
    attention_reason: str | None = None
    taken_over_by: str | None = None
    # The over-the-limit notice (processing.py): one per window.
    rate_notice_id: str | None = None
    rate_notice_at: float | None = None

    @classmethod
    def load(cls, conversation: dict[str, Any]) -> ConversationState:
        return cls.model_validate(conversation.get("metadata") or {})

    def to_metadata(self) -> dict[str, Any]:
        """The JSON stored in `conversations.metadata`."""
        return self.model_dump(mode="json")

    @model_serializer(mode="wrap")
    def _leave_out_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        declared = type(self).model_fields
        return {k: v for k, v in data.items() if not (v is None and k in declared)}

    def current_cart(self) -> Cart:
        """A copy of the cart (empty when none yet): tools change it, then `save_cart`."""
        return self.cart.model_copy(deep=True) if self.cart else Cart()

    def shown_items(self) -> list[ShownProduct]:
        return list(self.shown or [])
