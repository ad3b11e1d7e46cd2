"""ConversationState keeps the stored JSON's shape: SQL elsewhere reads these keys."""

from __future__ import annotations

from typing import Any

from duka.orchestrator.state import ConversationState, Delivery

STORED: dict[str, Any] = {
    "cart": {
        "items": [
            {
                "product_id": "p1",
                "sku": "NY-D001",
                "name": "Red Bodycon Dress",
                "quantity": 2,
                "unit_price": "1800.00",
                "size": "S",
                "color": None,
            }
        ]
    },
    "shown": [
        {
            "id": "p1",
            "name": "Red Bodycon Dress",
            "price": "1800.00",
            "sizes": ["S", "M"],
            "colors": ["red"],
            "stock": 4,
            "images": [],
        }
    ],
    "awaiting": "payer_confirmation",
    "payer_confirmation": {"phone": "+254722000111", "order": "ab12", "asked_at": "2026-11-30"},
    "delivery": {"address": "Sarit Centre", "area": "westlands", "fee_kes": 300},
    "pay_phone": "+254722000111",
    "language": "sw",
    "needs_attention": True,
    "attention_reason": "processing_failed",
    "rate_notice_id": "m1",
    "rate_notice_at": 1764540000.5,
    "written_by_a_newer_release": {"kept": [1, 2]},
}


def test_a_stored_row_round_trips_unchanged_including_unknown_keys():
    assert ConversationState.load({"metadata": STORED}).to_metadata() == STORED


def test_a_cleared_field_leaves_the_key_out_as_a_popped_key_did():
    state = ConversationState.load({"metadata": STORED})
    state.awaiting = None
    state.needs_attention = None

    stored = state.to_metadata()
    assert "awaiting" not in stored and "needs_attention" not in stored
    assert ConversationState.load({"metadata": None}).to_metadata() == {}


def test_a_rollback_copy_is_independent_of_the_turns_changes():
    state = ConversationState.load({"metadata": STORED})
    before = state.model_copy(deep=True)
    assert state.cart is not None
    state.cart.items.clear()
    state.delivery = Delivery(address="elsewhere")

    assert before.to_metadata() == STORED
