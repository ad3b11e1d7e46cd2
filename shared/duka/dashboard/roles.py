"""Who may open what: owners everything, staff only the pages on an allow-list.

Staff chat with customers and fulfil orders. Money (revenue, payouts, refunds, payments),
settings, exports, broadcasts and reports stay with the owner. The list names endpoints, so a
page added later is the owner's alone until someone decides staff need it and adds it here.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    STAFF = "staff"


ANY_METHOD = frozenset({"GET", "POST"})
READ_ONLY = frozenset({"GET"})
STAFF_MAY: dict[str, frozenset[str]] = {
    # Signing out (signing in is public).
    "auth.logout": ANY_METHOD,
    "auth.logout_everywhere": ANY_METHOD,
    # Chats: read, reply, take over and hand back, answer the agent's questions.
    "conversations.index": ANY_METHOD,
    "conversations.thread": ANY_METHOD,
    "conversations.timeline": ANY_METHOD,
    "conversations.reply": ANY_METHOD,
    "conversations.take_over": ANY_METHOD,
    "conversations.hand_back": ANY_METHOD,
    "conversations.retry": ANY_METHOD,
    "conversations.record_consent": ANY_METHOD,
    "questions.answer": ANY_METHOD,
    "images.message_media": ANY_METHOD,
    # The composer's saved replies (the thread links to their page).
    "saved_replies.index": ANY_METHOD,
    "saved_replies.add": ANY_METHOD,
    "saved_replies.remove": ANY_METHOD,
    # Customers, their tags and private notes.
    "customers.index": ANY_METHOD,
    "customers.detail": ANY_METHOD,
    "customer_notes.add_tag": ANY_METHOD,
    "customer_notes.remove_tag": ANY_METHOD,
    "customer_notes.add_note": ANY_METHOD,
    "customer_notes.remove_note": ANY_METHOD,
    # Orders: read them and move them along (packed, shipped, delivered); no money actions.
    "orders.index": ANY_METHOD,
    "orders.detail": ANY_METHOD,
    "orders.update_fulfilment": ANY_METHOD,
    # Products, to answer customers (sizes, stock, price): look, never change.
    "products.index": READ_ONLY,
    "products.edit": READ_ONLY,
    "images.product_image": ANY_METHOD,
}
FORBIDDEN = "Staff accounts can't open this page. Ask the shop's owner."


def may_open(role: Role, endpoint: str | None, method: str = "GET") -> bool:
    if role is Role.OWNER:
        return True
    method = "GET" if method == "HEAD" else method
    return method in STAFF_MAY.get(endpoint or "", frozenset())


def home_endpoint(role: Role) -> str:
    """Where sign-in and the shop's name lead: staff have no overview (it shows revenue)."""
    return "overview.page" if role is Role.OWNER else "conversations.index"
