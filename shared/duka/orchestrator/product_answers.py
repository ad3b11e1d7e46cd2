"""Questions about one product, and a sold-out product asked for by name.

Only what the database holds is stated: an attribute the owner filled in (material, fit), the
name and description, sizes and stock per size, colours, and the same style in other colours
in stock. A topic the product row does not cover is never guessed: the reply says the agent
will check with the owner and the chat is flagged ("question"), as for shop questions. A
question never replaces the items shown: other colours are numbered after them, so "#2" keeps
meaning the same item. No product records a restock date, so "when is it back?" about a
sold-out item is always left to the owner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from duka.catalog.sizes import match_size
from duka.catalog.words import canonical_category
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.entities import normalize
from duka.orchestrator.facts import Facts, ShownProduct
from duka.orchestrator.owner_questions import ask_owner
from duka.orchestrator.restock_offer import offer
from duka.orchestrator.shopping import Turn, resolve_shown, show_results, shown
from duka.orchestrator.shopping import search as search_in_stock
from duka.orchestrator.templates import PRODUCT_TOPIC_NAMES, kes, lang_key, product_lines, say
from duka.orchestrator.tools.cart import sizes_of
from duka.orchestrator.tools.products import (
    find_sold_out,
    get_other_colours,
    get_product_details,
    search_products,
)
from duka.store import products as product_store

ALTERNATIVES = 3

# What a customer asks about an item, in English, Swahili and Sheng (normalize()d text).
TOPICS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "material": r"\b(?:material|fabric|made (?:of|from|with)|cotton|silk|linen|leather"
        r"|polyester|wool|chiffon|satin|kitambaa|imetengenezwa|pamba|hariri|ngozi|sufu)\b",
        "fit": r"\b(?:fit|fits|fitting|true to size|runs? (?:small|big|large)|tight|loose"
        r"|stretch\w*|inakaa|inabana|inanibana|itanitosha|inatosha|itanikaa)\b",
        "length": r"\b(?:length|how long|long|short|knee|ankle|urefu|ndefu|fupi|magoti\w*"
        r"|inafika wapi)\b",
        "care": r"\b(?:wash\w*|iron\w*|dry ?clean\w*|care|fua|kufua|inafuliwa|kuosha)\b",
        "authenticity": r"\b(?:original|genuine|authentic|fake|real|copy|replica|orijino"
        r"|feki|ya ukweli)\b",
        "colours": r"\b(?:colou?rs?|rangi)\b",
        "sizes": r"\b(?:sizes?|saizi|bigger|smaller|kubwa|ndogo)\b",
        "restock": r"\b(?:back in stock|be back|restock\w*|come back|get more|more stock"
        r"|itarudi|zitarudi|itaingia|zitaingia|itapatikana lini|mtaongeza stock)\b",
    }.items()
}
# What the product row may say about a topic, read from its name and description.
FABRICS = re.compile(
    r"\b(?:cotton|linen|chiffon|silk|satin|velvet|denim|leather|suede|wool|polyester|lace"
    r"|knit|crepe|viscose|rayon|spandex|lycra|jersey|tulle|mesh|canvas|kitenge|ankara"
    r"|kikoi|beaded)\b"
)
_DESCRIBED = {
    "fit": re.compile(
        r"\b(?:stretch\w*|fitted|slim|loose|relaxed|flow\w*|bodycon|oversized|tailored|wrap"
        r"|flared?|high[- ]waist\w*|straight|skinny|wide[- ]leg|true to size)\b"
    ),
    "length": re.compile(
        r"\b(?:mini|midi|maxi|cropped|crop|short|long|ankle|knee|[a-z]+[- ]length)\b"
    ),
    "care": re.compile(r"\b(?:wash\w*|dry ?clean\w*|iron\w*|hand ?wash\w*)\b"),
    "authenticity": re.compile(
        r"\b(?:original|genuine|authentic|hand ?made|handcrafted|made in \w+)\b"
    ),
}


def asks_restock(text: str) -> bool:
    return bool(TOPICS["restock"].search(normalize(text)))


def asked_topics(turn: Turn) -> list[str]:
    text = normalize(turn.text)
    topics = [name for name, pattern in TOPICS.items() if pattern.search(text)]
    if turn.entities.colors and "colours" not in topics:
        topics.append("colours")  # "does it come in red?"
    return topics


def fabrics_in(*texts: str) -> set[str]:
    return {m.group() for text in texts for m in FABRICS.finditer(text.lower())}


def invented_fabrics(facts: Facts, reply: str) -> set[str]:
    """Fabrics a model reply names that the product rows behind it do not (None: unchecked)."""
    return set() if facts.fabrics is None else fabrics_in(reply) - facts.fabrics


class _Answer:
    """The lines the product row supports, and the topics left to the owner."""

    def __init__(self, deps: TurnDeps, turn: Turn, product: dict[str, Any]) -> None:
        self.deps, self.turn, self.product = deps, turn, product
        self.language = turn.language
        self.name = str(product["name"])
        self.description = str(product.get("description") or "")
        self.attrs: dict[str, Any] = product.get("attrs") or {}
        self.lines: list[str] = []
        self.unknown: list[str] = []
        self.siblings: list[ShownProduct] = []  # the same style in other colours, in stock

    def _line(self, key: str, **values: Any) -> None:
        line = say(key, self.language, item=self.name, **values)
        if line not in self.lines:
            self.lines.append(line)

    def _described(self, topic: str) -> bool:
        """Quote the description when it speaks to the topic; the name may say the length."""
        pattern = _DESCRIBED[topic]
        if pattern.search(self.description.lower()):
            self._line("pq_described", description=self.description)
            return True
        named = pattern.search(self.name.lower()) if topic == "length" else None
        if named:
            self._line("pq_length", length=named.group())
        return named is not None

    def material(self) -> None:
        found = self.attrs.get("material") or ", ".join(
            sorted(fabrics_in(self.name, self.description))
        )
        if found:
            self._line("pq_material", material=found)
        else:
            self.unknown.append("material")

    def fit(self) -> None:
        if self.attrs.get("fit"):
            self._line("pq_fit", fit=self.attrs["fit"])
        elif not self._described("fit"):
            self.unknown.append("fit")

    def topic(self, topic: str) -> None:
        if not self._described(topic):
            self.unknown.append(topic)

    def colours(self) -> None:
        own = list(self.attrs.get("colors") or [])
        if own:
            self._line("pq_colors", colors=", ".join(own))
        rows = get_other_colours(self.deps, self.product_id)
        siblings = self.siblings = [ShownProduct.from_row(r) for r in rows]
        offered = set(own) | {c for s in siblings for c in s.colors}
        missing = [c for c in self.turn.entities.colors if c not in offered]
        if missing:
            self._line("pq_not_in_color", color=", ".join(missing))
        if siblings:  # numbered after the items shown, which keep their numbers
            listed = shown(self.deps)
            known = {p.id for p in listed}
            self.deps.state.shown = numbered = listed + [s for s in siblings if s.id not in known]
            position = {p.id: n for n, p in enumerate(numbered, 1)}
            self.lines.append(say("pq_other_colours", self.language))
            self.lines += [product_lines([s], start=position[s.id]) for s in siblings]

    def sizes(self) -> None:
        sizes = sizes_of(self.product)
        if not sizes:
            return
        per_size = product_store.size_stock(self.deps.conn, self.product_id)
        stocked = int(self.product["stock"]) > 0
        sold_out = [s for s in sizes if not stocked or per_size.get(s, 1) <= 0]
        self._line("pq_sizes", sizes=", ".join(sizes))
        if sold_out:
            self._line("pq_sizes_out", sizes=", ".join(sold_out))

    def restock(self) -> None:
        if int(self.product["stock"]) > 0:
            self._line("pq_in_stock")
            self.sizes()
        else:
            self._line("restock_unknown")
            self.unknown.append("restock")

    @property
    def product_id(self) -> str:
        return str(self.product["id"])

    def ask(self, topic: str) -> None:
        answerers: dict[str, Callable[[], None]] = {
            "material": self.material,
            "fit": self.fit,
            "colours": self.colours,
            "sizes": self.sizes,
            "restock": self.restock,
        }
        answerers.get(topic, partial(self.topic, topic))()


def _answer_topics(
    deps: TurnDeps, turn: Turn, facts: Facts, product: dict[str, Any], topics: list[str]
) -> None:
    answer = _Answer(deps, turn, product)
    for topic in topics:
        answer.ask(topic)
    if not answer.lines and not answer.unknown:  # "what sizes?" of a bag with none
        _summary(facts, product, turn.language)
        return
    facts.allow(product["price"], *(p.price for p in answer.siblings))
    facts.fabrics = (facts.fabrics or set()) | fabrics_in(*(p.name for p in answer.siblings))
    facts.notes += answer.lines
    facts.notes.append(f"Description of {answer.name}: {answer.description or '(none)'}")
    lines = list(answer.lines)
    if answer.unknown:
        # On the owner's dashboard, answerable in one step (owner_questions.py).
        topic = ",".join(f"product:{t}" for t in answer.unknown)
        ask_owner(deps, f"{answer.name}: {turn.text}", topic)
        names = PRODUCT_TOPIC_NAMES[lang_key(turn.language)]
        asked = ", ".join(names[topic] for topic in answer.unknown)
        lines.append(say("pq_ask_owner", turn.language, item=answer.name, topics=asked))
        facts.notes.append(
            f"The product data says nothing about {asked}: say you will check with the owner "
            "and get back to the customer; never guess it."
        )
    facts.draft = "\n".join(lines)


def _summary(facts: Facts, product: dict[str, Any], language: str) -> None:
    """No topic named ("tell me about #2", "how much is it?"): price, sizes, colours, stock."""
    current = ShownProduct.from_row(product)
    facts.allow(current.price)
    parts = [say("price", language, item=current.name, price=kes(current.price))]
    sizes = [s for s in current.sizes if s.lower() != "free"]
    if sizes:
        parts.append(say("sizes", language, sizes=", ".join(sizes)))
    if current.colors:
        parts.append(say("colors", language, colors=", ".join(current.colors)))
    parts.append(say("stock_left", language, stock=current.stock))
    facts.notes.append(f"Description: {product.get('description', '')}")
    facts.draft = " ".join(parts)


def question(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """A question about an item shown, or the sold-out item just asked for. It replaces the
    items shown only when there are none and it names a garment ("do you have the … dress?")."""
    facts.use_llm = True
    topics = asked_topics(turn)
    numbered = bool(turn.entities.item_refs)
    if not numbered and (sold := find_sold_out(deps, turn.text)):
        return _sold_out(deps, turn, facts, sold)  # "is the Amani wrap dress back?"
    item = resolve_shown(deps, turn.entities)
    if "restock" in topics and not numbered and deps.state.sold_out is not None:
        item = deps.state.sold_out
    if item is None and not shown(deps) and turn.entities.categories:
        return search(deps, turn, facts)
    if item is None:
        facts.draft = say("which_item" if shown(deps) else "nothing_shown", turn.language)
        return facts
    product = get_product_details(deps, product_id=item.id)
    material = str((product.get("attrs") or {}).get("material") or "")
    facts.fabrics = fabrics_in(str(product["name"]), str(product["description"]), material)
    if topics:
        _answer_topics(deps, turn, facts, product, topics)
    else:
        _summary(facts, product, turn.language)
    return facts


def alternatives(deps: TurnDeps, product: dict[str, Any]) -> list[ShownProduct]:
    """Up to three in-stock items close to a sold-out one: its style in other colours first,
    then the same kind of garment (found by the search index), nearest in price."""
    category = canonical_category(str(product["category"])) or str(product["category"])
    kinds = [category] if category else []
    similar = search_products(deps, text=str(product["name"]), categories=kinds, limit=6)
    listing = search_products(deps, categories=kinds, limit=6) if kinds else []
    price = Decimal(str(product["price"]))
    others = sorted(
        (ShownProduct.from_row(h) for h in [*similar, *listing]),
        key=lambda p: abs(p.price - price),
    )
    picked: dict[str, ShownProduct] = {}
    for option in [
        *map(ShownProduct.from_row, get_other_colours(deps, str(product["id"]))),
        *others,
    ]:
        if option.id != str(product["id"]):
            picked.setdefault(option.id, option)
    return list(picked.values())[:ALTERNATIVES]


def search(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """A search; a sold-out item named in it is said to be sold out, with close alternatives."""
    product = find_sold_out(deps, text=turn.text)
    if product is None:
        deps.state.sold_out = None
        return search_in_stock(deps, turn, facts)
    return _sold_out(deps, turn, facts, product)


def _sold_out(deps: TurnDeps, turn: Turn, facts: Facts, product: dict[str, Any]) -> Facts:
    facts.use_llm = True
    name = str(product["name"])
    deps.state.sold_out = ShownProduct.from_row(product)
    sold = say("asked_sold_out", turn.language, item=name)
    facts.notes.append(
        f"{name} is sold out (0 in stock). Nobody knows when it will be back: if asked, say "
        "you will ask the owner; never promise a date."
    )
    options = alternatives(deps, product)
    if not options:
        facts.draft = sold + " " + say("sold_out_nothing_close", turn.language)
    else:
        show_results(deps, turn, facts, options, "sold_out_alternatives")
        facts.draft = sold + "\n" + facts.draft
    said = turn.entities.sizes[0] if turn.entities.sizes else None  # "tell me when it's back"
    size = match_size(said, sizes_of(product)) if said else None
    offer(deps.state, facts, turn.language, product_id=str(product["id"]), name=name, size=size)
    return facts
