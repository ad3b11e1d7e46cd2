"""Deterministic handlers for browsing and the cart: search, photo, questions, cart edits."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from duka.catalog.sizes import match_size
from duka.demand.signals import note_photo, note_search
from duka.images.analysis import preferred_source
from duka.images.findings import ImageUnreadable
from duka.logs import log
from duka.media import MediaRefused
from duka.orchestrator import customer_memory
from duka.orchestrator import vocabulary as vocab
from duka.orchestrator.cart_model import CartItem
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.entities import Entities, normalize
from duka.orchestrator.facts import Facts, ShownProduct
from duka.orchestrator.interactive import pay_buttons, product_list, size_list
from duka.orchestrator.restock_offer import offer
from duka.orchestrator.templates import cart_lines, describe_item, product_lines, say
from duka.orchestrator.tools.cart import (
    OutOfStock,
    SizeUnavailable,
    add_to_cart,
    clear_cart,
    get_cart,
    remove_from_cart,
    sizes_of,
)
from duka.orchestrator.tools.products import (
    get_product_details,
    search_products,
    search_similar_products,
)
from duka.orchestrator.tools.registry import ToolInputInvalid
from duka.store import products as product_store

logger = logging.getLogger(__name__)

PHOTO_MATCHES = 3
MAX_QUANTITY = 20
_MORE = re.compile(r"\b(more|another|ongeza|zaidi|add)\b", re.IGNORECASE)


@dataclass
class Turn:
    text: str
    media_urls: list[str]
    message_ids: list[str]
    entities: Entities
    language: str
    profile: dict[str, Any] = field(default_factory=dict)


def shown(deps: TurnDeps) -> list[ShownProduct]:
    return deps.state.shown_items()


def remember_shown(deps: TurnDeps, products: list[ShownProduct]) -> None:
    deps.state.shown = list(products)


def show_results(
    deps: TurnDeps, turn: Turn, facts: Facts, products: list[ShownProduct], header_key: str
) -> Facts:
    if not products:
        facts.draft = say("no_results", turn.language)
        return facts
    remember_shown(deps, products)
    facts.products = products
    facts.interactive = product_list(products, turn.language)
    facts.allow(*(p.price for p in products))
    facts.draft = "\n".join(
        [say(header_key, turn.language), product_lines(products), say("pick_hint", turn.language)]
    )
    facts.media_urls = [
        p.images[0]
        for p in products[:1]
        if p.images and p.images[0].startswith(("http://", "https://"))
    ]
    return facts


def preferred_size(turn: Turn) -> str | None:
    if turn.entities.sizes:
        return turn.entities.sizes[0]
    sizes = turn.profile.get("sizes_bought") or []
    return str(turn.profile.get("preferred_size") or (sizes[0] if sizes else "")) or None


def search(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    e = turn.entities
    query: dict[str, Any] = {
        "text": turn.text,
        "categories": list(e.categories),
        "size": preferred_size(turn),
        "max_price": e.max_price,
        "limit": 5,
    }
    hits = search_products(deps, colors=list(e.colors), **query)
    if not hits and e.colors:  # none in that colour: show the same kind in other colours
        facts.notes.append(f"Nothing in {', '.join(e.colors)}; these are other colours.")
        hits = search_products(deps, **query)
    note_search(deps, text=turn.text, entities=e, message_ids=turn.message_ids, hits=hits)
    facts.use_llm = True
    facts = show_results(deps, turn, facts, [ShownProduct.from_row(h) for h in hits], "results")
    if not (e.categories or e.colors or e.sizes or e.max_price):  # "I want to shop"
        customer_memory.offer_repeat(deps, facts, turn.language)
    return facts


def photo_search(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    facts.use_llm = True
    try:
        analysis, hits = search_similar_products(
            deps,
            image_url=turn.media_urls[0],
            size=preferred_size(turn),
            limit=PHOTO_MATCHES,
        )
    except (MediaRefused, ImageUnreadable) as exc:
        log(
            logger,
            logging.WARNING,
            "customer photo refused",
            error=str(exc),
            conversation_id=deps.conversation_id,
        )
        facts.draft = say("photo_failed", turn.language)
        facts.use_llm = False
        return facts
    if preferred_source() == "gemini":
        # Vision was this message's one model call (even if it failed and pixels answered):
        # the reply comes from the template.
        facts.tool_llm_calls = 1
        facts.use_llm = False
    facts.photo = {
        "garment": analysis.garment,
        "colors": list(analysis.colors),
        "pattern": analysis.pattern,
        "description": analysis.description,
    }
    note_photo(
        deps,
        text=turn.text,
        entities=turn.entities,
        message_ids=turn.message_ids,
        analysis=analysis,
        hits=hits,
    )
    products = [ShownProduct.from_row(h) for h in hits]
    garments = list(turn.entities.categories) or ([analysis.garment] if analysis.garment else [])
    if len(products) < PHOTO_MATCHES and garments:
        # Few close matches: add the same kind of garment in other colours.
        more = search_products(
            deps,
            text=turn.text,
            categories=garments,
            size=preferred_size(turn),
            limit=PHOTO_MATCHES + len(products),
        )
        seen = {p.id for p in products}
        products += [ShownProduct.from_row(h) for h in more if h.id not in seen]
    return show_results(deps, turn, facts, products[:PHOTO_MATCHES], "results_photo")


def out_of_stock_text(exc: OutOfStock, language: str) -> str:
    in_size = f" (size {exc.size})" if exc.size else ""
    return say("out_of_stock", language, available=exc.available, item=exc.name, in_size=in_size)


def resolve_shown(deps: TurnDeps, entities: Entities) -> ShownProduct | None:
    items = shown(deps)
    if entities.item_refs:
        ref = entities.item_refs[0]
        index = len(items) - 1 if ref == -1 else ref - 1
        return items[index] if 0 <= index < len(items) else None
    if entities.ref_color:
        for item in items:
            if entities.ref_color in item.colors:
                return item
    if len(items) == 1:
        return items[0]
    return None


def add(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    item = resolve_shown(deps, turn.entities)
    pending, deps.state.pending_add = deps.state.pending_add, None
    if item is None and pending:
        item = pending
    if item is None:
        facts.draft = say("which_item" if shown(deps) else "nothing_shown", turn.language)
        return facts
    product = get_product_details(deps, product_id=item.id)
    sizes = sizes_of(product)
    said = turn.entities.sizes
    size = next((own for s in said if (own := match_size(s, sizes))), said[0] if said else None)
    if size is None and len(sizes) == 1:
        size = sizes[0]
    if size is None and sizes:
        deps.state.pending_add = item
        deps.state.awaiting = "size"
        in_stock = sizes_in_stock(deps, product, sizes)
        usual = customer_memory.usual_in_stock(deps, product, in_stock)  # "in your usual M?"
        facts.draft = say(
            "which_size", turn.language, item=item.name, sizes=", ".join(sizes)
        ) + customer_memory.usual_line(usual, turn.language)
        facts.interactive = size_list(item.id, in_stock, turn.language, usual) if in_stock else None
        return facts
    colors = (product.get("attrs") or {}).get("colors") or []
    color = (
        next((c for c in turn.entities.colors if c in colors), None)
        or (turn.entities.ref_color if turn.entities.ref_color in colors else None)
        or (colors[0] if len(colors) == 1 else None)
    )
    try:
        cart = add_to_cart(
            deps,
            product_id=item.id,
            size=size,
            color=color,
            quantity=min(turn.entities.quantity or 1, MAX_QUANTITY),
        )
    except SizeUnavailable as exc:
        facts.draft = say(
            "size_unavailable",
            turn.language,
            item=exc.name,
            size=exc.size,
            sizes=", ".join(exc.sizes),
        )
        return facts
    except OutOfStock as exc:
        facts.draft = out_of_stock_text(exc, turn.language)
        if exc.available == 0:  # sold out in this size: "tell me when it's back"
            offer(deps.state, facts, turn.language, product_id=item.id, name=item.name, size=size)
        return facts
    if said and size:  # a size she chose for this garment type: part of her usual size
        customer_memory.remember_choice(deps, product, size)
    deps.state.awaiting = "checkout_confirmation"
    deps.state.last_added = item.id
    facts.allow(
        cart.total, *(i.line_total for i in cart.items), *(i.unit_price for i in cart.items)
    )
    added = describe_item(item.name, size, min(turn.entities.quantity or 1, MAX_QUANTITY))
    facts.draft = "\n".join(
        [
            say("added", turn.language, item=added),
            cart_lines(cart, turn.language),
            say("checkout_prompt", turn.language),
        ]
    )
    facts.interactive = pay_buttons(turn.language)
    return facts


def sizes_in_stock(deps: TurnDeps, product: dict[str, Any], sizes: list[str]) -> list[str]:
    """The product's sizes with stock left (all of them when stock is not kept per size)."""
    if int(product["stock"]) <= 0:
        return []
    stock = product_store.size_stock(deps.conn, str(product["id"]))
    per_size = {size.upper(): count for size, count in stock.items()}
    if not per_size:
        return sizes
    return [s for s in sizes if per_size.get(s.upper(), 0) > 0]


_NAME_WORD = re.compile(r"[a-z]{3,}")
_COMMON_WORDS = vocab.ENGLISH_WORDS | vocab.SWAHILI_WORDS


def _garments(words: set[str]) -> set[str]:
    return {vocab.CATEGORIES[w] for w in words if w in vocab.CATEGORIES}


def _line_score(deps: TurnDeps, line: CartItem, entities: Entities, words: set[str]) -> int:
    """How well a message's garment, colour and name words fit one cart line; 0 = not it."""
    product = product_store.get_product(deps.conn, line.product_id) or {}
    name_words = set(_NAME_WORD.findall(line.name.lower()))
    score = len(words & name_words)
    if entities.categories:
        if product.get("category") in entities.categories:
            score += 2
        elif _garments(name_words) & set(entities.categories):  # "Denim Jacket" is denim too
            score += 1
        else:
            return 0
    colour = entities.ref_color or (entities.colors[0] if entities.colors else None)
    if colour:
        if line.color == colour:
            score += 2
        elif line.color is None and colour in ((product.get("attrs") or {}).get("colors") or []):
            score += 1
        else:
            return 0
    return score


def cart_targets(deps: TurnDeps, entities: Entities, text: str) -> list[CartItem]:
    """The cart lines a message names: one is the target, several mean "ask which".

    An explicit reference (#2, ya pili) wins; then the garment, colour and name words, matched
    against every line; a message naming nothing means the item just added, or the only line.
    """
    cart = deps.state.current_cart()
    if entities.item_refs:
        ref = resolve_shown(deps, entities)
        if ref is not None:
            return [i for i in cart.items if i.product_id == ref.id][:1]
        index = entities.item_refs[0] - 1
        return [cart.items[index]] if 0 <= index < len(cart.items) else []
    words = set(_NAME_WORD.findall(normalize(text))) - _COMMON_WORDS
    scores = [(_line_score(deps, line, entities, words), line) for line in cart.items]
    best = max((score for score, _ in scores), default=0)
    named = entities.categories or entities.ref_color or entities.colors
    if best or named:
        return [line for score, line in scores if score == best and best > 0]
    last = deps.state.last_added
    lines = [i for i in cart.items if i.product_id == last][:1]
    return lines or (cart.items if len(cart.items) == 1 else [])


def change_cart(deps: TurnDeps, turn: Turn, facts: Facts, *, set_quantity: bool) -> Facts:
    targets = cart_targets(deps, turn.entities, turn.text)
    if len(targets) > 1:  # two lines fit what was said: ask, change nothing
        choices = " / ".join(describe_item(t.name, t.size, t.quantity) for t in targets)
        facts.draft = say("which_cart_item", turn.language, items=choices)
        return facts
    target = targets[0] if targets else None
    if target is None:
        facts.draft = (
            say("not_in_cart", turn.language)
            + "\n"
            + cart_lines(deps.state.current_cart(), turn.language)
        )
        return facts
    quantity = turn.entities.quantity if set_quantity else None
    if set_quantity and _MORE.search(turn.text):
        quantity = target.quantity + (turn.entities.quantity or 1)
    if quantity is not None:
        quantity = min(quantity, MAX_QUANTITY)
    elif set_quantity:
        facts.draft = say("how_many", turn.language, item=target.name)
        return facts
    try:
        cart = remove_from_cart(
            deps,
            product_id=target.product_id,
            size=target.size,
            quantity=quantity,
        )
    except OutOfStock as exc:
        facts.draft = out_of_stock_text(exc, turn.language)
        return facts
    except ToolInputInvalid:
        facts.draft = say("not_in_cart", turn.language)
        return facts
    key = "quantity_set" if quantity else "removed"
    label = describe_item(target.name, target.size, quantity or target.quantity)
    facts.allow(cart.total, *(i.line_total for i in cart.items))
    facts.draft = say(key, turn.language, item=label) + "\n" + cart_lines(cart, turn.language)
    return facts


def view_cart(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    cart = get_cart(deps)
    facts.allow(cart.total, *(i.line_total for i in cart.items))
    facts.draft = cart_lines(cart, turn.language)
    if cart.items:
        facts.draft += "\n" + say("checkout_prompt", turn.language)
        deps.state.awaiting = "checkout_confirmation"  # so "ee" / "yes" answers it
        facts.interactive = pay_buttons(turn.language)
    return facts


def clear(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    clear_cart(deps)
    deps.state.awaiting = None
    facts.draft = say("cart_cleared", turn.language)
    return facts
