"""WhatsApp interactive replies (list pickers, quick-reply buttons) and the payloads they carry.

A reply's interactive form is stored in the outbound message's `metadata["interactive"]`
(ARCHITECTURE's outbound contract); the message's `content` keeps the same choices as numbered
or typed text, which is what a channel that cannot carry interactive messages gets. Each
option's id is a payload naming the action, and the product and size it is about
("size:<product_id>:M"); a tap comes back with it (`metadata["tap"]`) and is routed by
`taps.py` without classification, checked against the conversation's state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from duka.errors import Misconfigured
from duka.orchestrator.facts import ShownProduct
from duka.orchestrator.templates import kes, say

# Twilio's limits (Content API: twilio/quick-reply, twilio/list-picker).
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_LIST_ITEMS = 10
MAX_ITEM_TITLE = 24
MAX_ITEM_DESCRIPTION = 72
MAX_LIST_BUTTON = 20
MAX_ID = 200
MAX_BODY = 1024

# Payload actions (the part before the first ":").
PICK = "pick"  # pick:<product_id>          an item of the list shown
SIZE = "size"  # size:<product_id>:<size>   a size of the item waiting for one
PAY = "pay"  # pay                          checkout the cart
EDIT_CART = "cart"  # cart                  show the cart to change it
BROWSE = "browse"  # browse                 show what is in stock
MY_ORDER = "order"  # order                 the latest order's status
PERSON = "person"  # person                 hand over to the owner
RETRY = "retry"  # retry:<order_id>         a new M-Pesa prompt for a failed order
PAY_WAYS = "payways"  # payways             the shop's other payment methods
ADDRESS = "addr"  # addr:last | addr:pickup  the last order's address, or pickup at the shop
LAST_ADDRESS, PICKUP = "last", "pickup"
# addr:points | addr:more | addr:point:<n>  the pickup points list, its next page, its nth row
POINTS, MORE_POINTS, POINT = "points", "more", "point"
ALERT = "alert"  # alert:<product_id>:<size>     tell me when this sold-out size is back
RESTOCK = "restock"  # restock:<product_id>:<size> buy the size the back-in-stock alert named
REPEAT = "again"  # again                       her last paid order back in the cart
ACTIONS = frozenset(
    {PICK, SIZE, PAY, EDIT_CART, BROWSE, MY_ORDER, PERSON, RETRY, PAY_WAYS, ADDRESS, ALERT, RESTOCK}
    | {REPEAT}
)


class LimitExceeded(Misconfigured):
    """An interactive message that WhatsApp would refuse (a developer mistake)."""


@dataclass(frozen=True)
class Option:
    id: str  # the payload
    title: str
    description: str | None = None


@dataclass(frozen=True)
class Interactive:
    kind: Literal["list", "buttons"]
    options: tuple[Option, ...]
    button: str = ""  # the list picker's button label

    def __post_init__(self) -> None:
        if not self.options:
            raise LimitExceeded("an interactive message needs at least one option")
        most, title = (
            (MAX_BUTTONS, MAX_BUTTON_TITLE)
            if self.kind == "buttons"
            else (MAX_LIST_ITEMS, MAX_ITEM_TITLE)
        )
        if len(self.options) > most:
            raise LimitExceeded(f"{len(self.options)} options; a {self.kind} allows {most}")
        for option in self.options:
            if len(option.title) > title or not option.title:
                raise LimitExceeded(f"title {option.title!r} is over {title} characters")
            if len(option.id) > MAX_ID:
                raise LimitExceeded(f"id {option.id!r} is over {MAX_ID} characters")
            if option.description and len(option.description) > MAX_ITEM_DESCRIPTION:
                raise LimitExceeded(f"description {option.description!r} is too long")
        if len({o.id for o in self.options}) != len(self.options):
            raise LimitExceeded("option ids must be unique")
        if self.kind == "list" and not 0 < len(self.button) <= MAX_LIST_BUTTON:
            raise LimitExceeded(f"list button {self.button!r} must be 1-{MAX_LIST_BUTTON} chars")

    def to_metadata(self, body: str) -> dict[str, Any]:
        """`metadata["interactive"]`, with `body` (the reply's text) cut to WhatsApp's 1,024."""
        return {
            "kind": self.kind,
            "body": fit_body(body),
            "button": self.button,
            "items": [
                {"id": o.id, "title": o.title, "description": o.description} for o in self.options
            ],
        }


def fit(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word with an ellipsis when it is longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,-") + "…"


def fit_body(text: str) -> str:
    """A body within 1,024 characters, cut at a line break when it is longer."""
    text = text.strip()
    if len(text) <= MAX_BODY:
        return text
    cut = text.rfind("\n", 0, MAX_BODY)
    return text[:cut] if cut > 0 else fit(text, MAX_BODY)


def payload(action: str, *parts: str) -> str:
    return ":".join([action, *parts])


@dataclass(frozen=True)
class Payload:
    action: str
    parts: tuple[str, ...]


def parse_payload(raw: str) -> Payload | None:
    """The action and its parts; None for anything we never sent (unknown action)."""
    action, *parts = raw.strip().split(":", 2)
    return Payload(action, tuple(parts)) if action in ACTIONS else None


def product_list(products: list[ShownProduct], language: str) -> Interactive:
    """Search or photo results: one row per item, id pick:<product_id>."""
    options = [
        Option(
            id=payload(PICK, p.id),
            title=fit(p.name, MAX_ITEM_TITLE),
            description=_describe(p, language),
        )
        for p in products[:MAX_LIST_ITEMS]
    ]
    return Interactive("list", tuple(options), say("btn_see_items", language))


def _describe(product: ShownProduct, language: str) -> str:
    sizes = [s for s in product.sizes if s.lower() != "free"]
    label = say("btn_sizes", language)
    return fit(kes(product.price) + (f" · {label} {', '.join(sizes)}" if sizes else ""), 72)


def size_list(
    product_id: str, sizes: list[str], language: str, usual: str | None = None
) -> Interactive:
    """The sizes in stock of the item waiting for one, id size:<product_id>:<size>; her usual
    size (customer_memory.py), when given, is the first row."""
    ordered = [usual, *(s for s in sizes if s != usual)] if usual in sizes else sizes
    options = [
        Option(
            id=payload(SIZE, product_id, size),
            title=fit(size, MAX_ITEM_TITLE),
            description=say("btn_usual_size", language) if size == usual else None,
        )
        for size in ordered[:MAX_LIST_ITEMS]
    ]
    return Interactive("list", tuple(options), say("btn_choose_size", language))


def _buttons(language: str, *choices: tuple[str, str]) -> Interactive:
    options = [Option(id=id_, title=say(key, language)) for id_, key in choices]
    return Interactive("buttons", tuple(options))


def pay_buttons(language: str) -> Interactive:
    """ "Ready to pay?" after an add, or with the cart shown."""
    return _buttons(language, (PAY, "btn_pay"), (EDIT_CART, "btn_edit_cart"))


def with_repeat(listed: Interactive, language: str) -> Interactive:
    """A list with "Same as last time" (her last paid order, repeat_order.py) as its first row."""
    row = Option(
        id=REPEAT, title=say("btn_repeat", language), description=say("btn_repeat_hint", language)
    )
    return replace(listed, options=(row, *listed.options[: MAX_LIST_ITEMS - 1]))


def greeting_buttons(language: str, *, repeat: bool = False) -> Interactive:
    """A returning customer's first button is "Same as last time" (her last paid order)."""
    if repeat:
        return _buttons(
            language, (REPEAT, "btn_repeat"), (BROWSE, "btn_browse"), (MY_ORDER, "btn_my_order")
        )
    return _buttons(
        language, (BROWSE, "btn_browse"), (MY_ORDER, "btn_my_order"), (PERSON, "btn_person")
    )


def address_buttons(
    language: str, *, has_last: bool, pickup: bool, points: bool = False
) -> Interactive | None:
    """ "Where should we deliver?": the last order's address, the pickup points, pickup when
    the shop offers it; None when none applies (the address is typed)."""
    choices = [(payload(ADDRESS, LAST_ADDRESS), "btn_same_address")] if has_last else []
    if points:
        choices.append((payload(ADDRESS, POINTS), "btn_pickup_points"))
    if pickup:
        choices.append((payload(ADDRESS, PICKUP), "btn_pickup"))
    return _buttons(language, *choices) if choices else None


def payment_failed_buttons(order_id: str, language: str) -> Interactive:
    """A failed, cancelled or expired M-Pesa payment: a new prompt, or the shop's other ways."""
    return _buttons(language, (payload(RETRY, order_id), "btn_retry"), (PAY_WAYS, "btn_pay_ways"))
