"""Pull shopping details (items, sizes, colours, prices, phone, address...) out of a message.

Numbers are read in a fixed order -- phone, money, item references, sizes, then quantity --
and each reading masks its span, so "size 12", "under 2,500", "#2" and "0712 345 678" are
never mistaken for one another.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from duka.orchestrator import vocabulary as vocab
from duka.orchestrator.size_entities import take_sizes
from duka.phone import find_kenyan_phone_span, normalize_kenyan_phone


@dataclass(frozen=True)
class Entities:
    """What a message says about items, sizes, money, contact and delivery."""

    item_refs: tuple[int, ...] = ()  # 1-based positions in the last list shown; -1 = last
    ref_color: str | None = None  # colour used to point at a shown item ("the red one")
    sizes: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()  # colours asked for, excluding ref_color
    categories: tuple[str, ...] = ()
    quantity: int | None = None
    max_price: int | None = None  # KES
    cheap: bool = False
    phone: str | None = None  # E.164
    yes: bool = False
    no: bool = False
    address: str | None = None  # as the customer wrote it, minus "deliver to" and the like
    delivery_area: str | None = None  # canonical name from vocabulary.DELIVERY_AREAS


def alternation(words: Iterable[str]) -> str:
    """Regex alternation of `words`, longest first so "navy blue" wins over "navy"."""
    escaped = (re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return "(?:" + "|".join(escaped) + ")"


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Blank out `spans` (keeping offsets) so later readers don't see them again."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


_ELONGATION = re.compile(r"([a-ce-wyz])\1{2,}")  # "sawaaa" -> "sawa"; x, d spared: xxxl, 36ddd
_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")
_REWRITES = {**vocab.SPELLING, **vocab.CHAT_SYNONYMS}


def normalize(text: str) -> str:
    """Lower-case, straighten quotes, undo elongations and fix common typos."""
    lowered = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    lowered = _ELONGATION.sub(r"\1", lowered)
    fixed = _WORD.sub(lambda m: _REWRITES.get(m.group(), m.group()), lowered)
    return " ".join(fixed.split())


# --- money -----------------------------------------------------------------------------------
_SW_NUMBER = alternation(vocab.SWAHILI_NUMBERS)
_MONEY = re.compile(
    r"(?<![\w.,#])(?:(?P<currency>kshs|ksh|kes|shs|sh)\.?\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<unit>k|thao|thou|thousand)\b)?(?P<suffix>\s?(?:/=|/-|bob\b|shillings?\b))?(?!\w)"
    rf"|\belfu\s+(?P<thousands>{_SW_NUMBER}|\d+)(?:\s+na\s+mia\s+(?P<hundreds>{_SW_NUMBER}))?\b"
    rf"|\bmia\s+(?P<only_hundreds>{_SW_NUMBER})\b"
    rf"|\b(?P<word>{alternation(vocab.ENGLISH_NUMBERS)})\s+(?:thousand|thao|k)\b"
)
_CEILING_BEFORE = re.compile(
    r"(?:\bunder|\bbelow|\bless than|\blower than|\b(?:not|no) more than|\bnot above|\bmax"
    r"|\bmaximum|\bat most|\bwithin|\bup ?to|\bchini ya|\bsi zaidi ya|\bisizidi|\bisipite|\bhadi"
    r"|\bmpaka|\bbudget(?:\s+[\w']+){0,3}?)\s*:?\s*$"
)
_CEILING_AFTER = re.compile(
    r"^\s*(?:max|maximum|or less|and below|or below|and under|kushuka|na chini|kurudi chini)\b"
)
_CHEAP = re.compile(
    r"\b(?:bei\s+(?:poa|rahisi|nafuu|chini|ya\s+chini|fair)|cheap(?:er|est)?|affordable"
    r"|pocket[\s-]friendly|budget[\s-]friendly|nafuu|si\s+ghali|not\s+(?:too\s+)?expensive)\b"
)


def _amount(match: re.Match[str]) -> int | None:
    """KES value of a money-looking match, or None when it is just a small bare number."""
    if match.group("num"):
        value = float(match.group("num").replace(",", ""))
        if match.group("unit"):
            return int(value * 1000)
        is_money = match.group("currency") or match.group("suffix") or value >= 100
        return int(value) if is_money else None
    if match.group("thousands"):
        thousands = match.group("thousands")
        value = int(thousands) if thousands.isdigit() else vocab.SWAHILI_NUMBERS[thousands]
        hundreds = match.group("hundreds")
        return value * 1000 + (vocab.SWAHILI_NUMBERS[hundreds] * 100 if hundreds else 0)
    if match.group("only_hundreds"):
        return vocab.SWAHILI_NUMBERS[match.group("only_hundreds")] * 100
    return vocab.ENGLISH_NUMBERS[match.group("word")] * 1000


def _take_money(text: str) -> tuple[int | None, bool, str]:
    """Return (price ceiling, wants it cheap, text with every amount masked)."""
    ceiling: int | None = None
    spans: list[tuple[int, int]] = [m.span() for m in _CHEAP.finditer(text)]
    for match in _MONEY.finditer(text):
        value = _amount(match)
        if value is None:
            continue
        spans.append(match.span())
        bounded = _CEILING_BEFORE.search(text[: match.start()]) or _CEILING_AFTER.match(
            text[match.end() :]
        )
        if bounded and ceiling is None:
            ceiling = value
    return ceiling, bool(_CHEAP.search(text)), mask(text, spans)


# --- item references, sizes, colours, categories, quantity ------------------------------------
_NOT_A_PLACE = r"(?!\s+(?:floor|fl|street|st|avenue|ave|road|rd|phase|gate|block|time|week|day)\b)"
_NUMBERED_REF = re.compile(
    r"#\s?(\d{1,2})\b|(?<!house\s)(?<!hse\s)(?<!plot\s)(?<!door\s)(?<!room\s)(?<!flat\s)"
    r"(?<!apt\s)\b(?:no|number|namba|nambari|item|option|pic|picture|picha)\.?\s?#?(\d{1,2})\b"
    r"(?!\s?(?:k|pieces|pcs|pairs|days|bob)\b)"
)
_ORDINAL_REF = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)\b{_NOT_A_PLACE}"
    rf"|\bthe\s+(?:very\s+)?({alternation(vocab.ENGLISH_ORDINALS)})\b{_NOT_A_PLACE}"
    rf"|\b({alternation(vocab.ENGLISH_ORDINALS)})\s+one\b"
    rf"|(?<!mara\s)\b(?:ya|la|cha|wa)\s+({alternation(vocab.SWAHILI_ORDINALS)})\b"
)
_ORDINAL_WORDS = {**vocab.ENGLISH_ORDINALS, **vocab.SWAHILI_ORDINALS}

_DEMONSTRATIVE = r"(?:the|that|this|those|these|hiyo|hio|iyo|ile|hii|hizo|hizi|izo|zile)"
_COLOUR = re.compile(rf"\b({alternation(vocab.COLOURS)})\b")
_REF_BEFORE_COLOUR = re.compile(
    rf"\b{_DEMONSTRATIVE}\s+(?:(?:ya|la|cha|za)\s+)?(?:rangi\s+ya\s+)?$"
)
_REF_AFTER_COLOUR = re.compile(r"^\s+ones?\b")
_CATEGORY = re.compile(rf"\b({alternation(vocab.CATEGORIES)})(?:e?s)?\b")

_NUMBER_WORDS = {**vocab.SWAHILI_NUMBERS, **vocab.ENGLISH_NUMBERS}
_NUMBER = rf"(?:\d{{1,2}}|{alternation(_NUMBER_WORDS)})"
_NOT_THE_QUANTITY = re.compile(rf"\b(?:instead of|badala ya|from)\s+{_NUMBER}\b")
_QUANTITY = tuple(
    re.compile(pattern)
    for pattern in (
        r"\bx\s?(\d{1,2})\b",
        rf"\b({_NUMBER})\s*(?:pieces|piece|pcs|pc|pairs|pair|units|vipande|kipande|of)\b",
        rf"\b(?:make (?:it|that|them|the \w+)|(?:change|reduce|increase|punguza|ongeza|badilisha)"
        rf"(?: [\w#]+){{0,3}}? (?:to|hadi|mpaka|iwe)|iwe|weka|niwekee|add|ongeza|nipe|nipatie|"
        rf"give me|get me|can i (?:get|have)|i want|i need|nataka|only|just|quantity|qty)"
        rf"\s+({_NUMBER})\b",
        rf"\b({_NUMBER})\s+(?:instead|badala)\b",
        rf"\b(\d{{1,2}})\s+{_CATEGORY.pattern}",
        rf"\b({_SW_NUMBER}|two|three|four|five|six|seven|eight|nine)\b",
    )
)

_FILLER = r"(?:(?:oh|ooh|ah|aah|mm+|hmm+|eh|ahh)\W+)?"
_YES = re.compile(rf"^\W*{_FILLER}{alternation(vocab.YES_PHRASES)}(?!\w)")
_NO = re.compile(rf"^\W*{_FILLER}{alternation(vocab.NO_PHRASES)}(?!\w)")


def _take_item_refs(text: str) -> tuple[tuple[int, ...], str]:
    found: list[tuple[tuple[int, int], int]] = []
    for match in _NUMBERED_REF.finditer(text):
        found.append((match.span(), int(match.group(1) or match.group(2))))
    for match in _ORDINAL_REF.finditer(text):
        digits, *words = match.groups()
        ordinal = int(digits) if digits else _ORDINAL_WORDS[next(w for w in words if w)]
        found.append((match.span(), ordinal))
    refs = tuple(dict.fromkeys(ref for _, ref in sorted(found) if ref != 0))
    return refs, mask(text, [span for span, _ in found])


def _categories(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(vocab.CATEGORIES[m.group(1)] for m in _CATEGORY.finditer(text)))


def _colours(text: str) -> tuple[str | None, tuple[str, ...]]:
    ref_color: str | None = None
    colors: list[str] = []
    for match in _COLOUR.finditer(text):
        colour = vocab.COLOURS[" ".join(match.group(1).split())]
        points_at_item = _REF_BEFORE_COLOUR.search(text[: match.start()]) or (
            _REF_AFTER_COLOUR.match(text[match.end() :])
        )
        if points_at_item and ref_color is None:
            ref_color = colour
        else:
            colors.append(colour)
    return ref_color, tuple(dict.fromkeys(colors))


def _quantity(text: str) -> int | None:
    text = mask(text, [m.span() for m in _NOT_THE_QUANTITY.finditer(text)])
    for pattern in _QUANTITY:
        match = pattern.search(text)
        if match:
            word = " ".join(match.group(1).split())
            return int(word) if word.isdigit() else _NUMBER_WORDS[word]
    return None


# --- delivery address ------------------------------------------------------------------------
_AREA = re.compile(rf"\b({alternation(vocab.DELIVERY_AREAS)})\b")
_ADDRESS_CUE = re.compile(
    r"\b(?:deliver(?:y)?(?:\s+it)?\s+(?:to|iwe|kwa|there|here)|niletee|nitumie\s+kwa"
    r"|send\s+(?:it\s+)?to|drop\s+(?:it\s+)?(?:off\s+)?at|(?:my|our)\s+(?:address|location)"
    r"|(?:address|location)\s*(?:is|ni|:)|estate|road|rd"
    r"|street|st|avenue|ave|apartments?|apts?|house|hse|court|flats?|block|floor|plot|stage"
    r"|building|plaza|mall|centre|center|gate|phase|lane)\b"
)
_NEAR_CUE = re.compile(
    r"\b(?:near|opposite|next to|behind|karibu na|nyuma ya|mbele ya|kando ya|niko|tuko|nakaa"
    r"|naishi|i'm (?:in|at)|i am (?:in|at)|we(?:'re| are) (?:in|at)|(?:i|we) (?:stay|live))\b"
)
_PLACE_QUESTION = re.compile(
    r"\b(?:do you|can you|could you|will you|mnaweza|unaweza|mnafika|mnadeliver|mnaleta"
    r"|mnatuma|mnapeleka|how much|price|cost|bei|ngapi|charges?|fee|how long|where is your"
    r"|your (?:location|address)|mko wapi|duka liko)\b"
)
_ADDRESS_LEAD = re.compile(
    r"^\W*(?:(?:please|pls|kindly|ok|okay|sawa|poa|hi)\W+)*"
    r"(?:deliver(?:y)?(?:\s+it)?\s+(?:to|iwe|kwa|at)|niletee|nitumie\s+kwa|send\s+(?:it\s+)?to"
    r"|drop\s+(?:it\s+)?(?:off\s+)?at|(?:my\s+)?(?:address|location)(?:\s+is|\s+ni)?\s*:?"
    r"|niko|tuko|nakaa|naishi|i'?m\s+(?:in|at)|i\s+am\s+(?:in|at)|we(?:'re|\s+are)\s+(?:in|at)"
    r"|(?:i|we)\s+(?:stay|live)\s+(?:in|at))(?!\w)[\s:,-]*",
    re.IGNORECASE,
)
_ADDRESS_TAIL = re.compile(r"[\s,.!]*(?:\b(?:please|pls|thanks|thank you|asante)\b)?[\s,.!]*$")


def find_delivery_area(normalized: str) -> str | None:
    """The first known delivery area named in an already normalised message."""
    match = _AREA.search(normalized)
    return vocab.DELIVERY_AREAS[" ".join(match.group(1).split())] if match else None


def clean_address(text: str) -> str:
    """The address as typed, without lead-ins like "deliver to" / "niko" or a closing "pls"."""
    without_lead = _ADDRESS_LEAD.sub("", text.strip(), count=1)
    return _ADDRESS_TAIL.sub("", without_lead, count=1) or text.strip()


def _address(text: str, rest: str, area: str | None) -> str | None:
    """`text` cleaned when the message reads as a delivery address rather than a question."""
    if _PLACE_QUESTION.search(rest):
        return None
    leftover = _AREA.sub(" ", rest)
    only_places = not re.search(r"[a-z]{2,}", leftover)
    if _ADDRESS_CUE.search(rest) or (area and (_NEAR_CUE.search(rest) or only_places)):
        return clean_address(text)
    return None


def extract_entities(text: str) -> Entities:
    """Read every entity a customer message carries; anything not understood is left out."""
    normalized = normalize(text)
    phone_span = find_kenyan_phone_span(normalized)
    phone = None
    if phone_span:
        phone = normalize_kenyan_phone(normalized[phone_span[0] : phone_span[1]])
    rest = mask(normalized, [phone_span] if phone_span else [])
    max_price, cheap, rest = _take_money(rest)
    item_refs, rest = _take_item_refs(rest)
    categories = _categories(rest)
    sizes, size_spans = take_sizes(rest, text, categories)
    rest = mask(rest, size_spans)
    ref_color, colors = _colours(rest)
    area = find_delivery_area(normalized)
    return Entities(
        item_refs=item_refs,
        ref_color=ref_color,
        sizes=sizes,
        colors=colors,
        categories=categories,
        quantity=_quantity(rest),
        max_price=max_price,
        cheap=cheap,
        phone=phone,
        yes=bool(_YES.search(rest)),
        no=bool(_NO.search(rest)),
        address=_address(text, rest, area),
        delivery_area=area,
    )
