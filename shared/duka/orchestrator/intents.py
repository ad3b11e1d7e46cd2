"""Decide in code, without a model, what a customer message asks the boutique to do.

Each rule is a phrase pattern with a strength; the strongest matching rule wins and ties go
to the intent listed first in `Intent`. Some rules only count when the message points at an
item, names a quantity, or when the conversation context makes the reading likely.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from duka.nlu.features import message_features
from duka.nlu.model import IntentModel, load_intent_model
from duka.orchestrator import shop_topics as shop
from duka.orchestrator.entities import Entities, clean_address, extract_entities, normalize
from duka.orchestrator.language import Language, detect_language


class Intent(StrEnum):
    COMPLAINT = "complaint"
    PAYMENT_STATUS = "payment_status"
    ORDER_STATUS = "order_status"
    TALK_TO_PERSON = "talk_to_person"
    SHOP_QUESTION = "shop_question"
    CLEAR_CART = "clear_cart"
    REMOVE_FROM_CART = "remove_from_cart"
    CHANGE_QUANTITY = "change_quantity"
    CHECKOUT = "checkout"
    VIEW_CART = "view_cart"
    DELIVERY_ADDRESS = "delivery_address"
    PRODUCT_QUESTION = "product_question"
    ADD_TO_CART = "add_to_cart"
    IMAGE_SEARCH = "image_search"
    PRODUCT_SEARCH = "product_search"
    THANKS_GOODBYE = "thanks_goodbye"
    GREETING = "greeting"
    OTHER = "other"


@dataclass(frozen=True)
class ClassifierContext:
    """What the conversation already knows; the orchestrator fills it from its state."""

    awaiting: str | None = None  # "delivery_address", "checkout_confirmation", "payment_phone"
    has_cart: bool = False
    has_shown_items: bool = False


@dataclass(frozen=True)
class Classification:
    """The classifier's reading of one message."""

    intent: Intent
    entities: Entities
    language: Language
    confidence: float  # strength of the rule that decided, for logging and tuning
    # Only a decisive reading may change the cart, send an M-Pesa prompt or hand over; any
    # other is confirmed with the customer first (routing.py).
    decisive: bool = True
    alternatives: tuple[Intent, ...] = ()  # other likely readings, most likely first


@dataclass(frozen=True)
class _Signals:
    entities: Entities
    points_at_item: bool  # "#2", "the red one", "hiyo", "it"...
    context: ClassifierContext
    mentions_purchase: bool = False  # "I bought", "you sent", "nimepokea"...


@dataclass(frozen=True)
class _Rule:
    intent: Intent
    strength: float
    pattern: re.Pattern[str]
    applies: Callable[[_Signals], bool]


def _always(_: _Signals) -> bool:
    return True


def _points_at_item(signals: _Signals) -> bool:
    return signals.points_at_item


def _has_quantity(signals: _Signals) -> bool:
    return signals.entities.quantity is not None


def _items_shown(signals: _Signals) -> bool:
    return signals.context.has_shown_items or signals.points_at_item


def _about_a_garment(signals: _Signals) -> bool:
    return bool(signals.entities.categories or signals.points_at_item or signals.mentions_purchase)


def _after_buying(signals: _Signals) -> bool:
    return signals.mentions_purchase


_POINTER = re.compile(
    r"\b(?:it|this|that|hiyo|hii|ile|hio|iyo|hizo|hizi|zile|izo|hicho|hiki)\b"
    r"(?! (?:morning|afternoon|evening|week|weekend|month|year|time|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday)\b)"
)

# Phrase patterns, matched against normalize()d text.
_MPESA_CONFIRMATION = (  # a forwarded M-Pesa SMS or its transaction code
    r"\b(?=[a-z0-9]{10}\b)(?=(?:[a-z]*\d){2})(?:[a-z]+\d)[a-z0-9]*\b"
    r".*\b(?:confirmed|sent|paid|code|imetumwa)\b|\b(?:code|message) (?:ni|is)\b"
)
_PAYMENT_CLAIMED = (
    r"\b(?:nimelipa|nimeshalipa|nimelipia|tumelipa|tumeshalipa|nimetuma|tumetuma|mmepokea"
    r"|umepokea|paid|done paying|(?:ni|tu)me(?:sha)?(?:tuma|lipa|lipia)\w*"
    r"|i(?:'ve| have)? (?:already )?(?:sent|made) (?:the |my |you )?(?:money|payment|pesa|cash"
    r"|\d)|sent (?:\w+ ){0,3}to (?:your|the) (?:till|paybill|account|number)"
    r"|(?:did|has) (?:my |the )?(?:payment|money|mpesa|pesa) (?:go|gone|went|come|reach|reflect)"
    r"|(?:payment|mpesa|pesa|malipo|money) (?:imepita|imeenda|imefika|imekatwa|haijapita"
    r"|haijafika|imeingia|imekataa|imefail|haikupita|haikuenda|went through|failed|reflected"
    r"|confirmation|status)|deducted|imekatwa|no confirmation|sijapata (?:confirmation|message)"
    r"|(?:payment|money|pesa|mpesa)(?: \w+){0,2} (?:received|reflected|confirmed|go through"
    r"|gone through|went through|come through|reached)"
    r"|(?:have|did) you (?:receive|received|get|got) (?:my |the )?(?:money|payment|pesa|mpesa)"
    r"|sijapata (?:prompt|stk|message ya mpesa|mpesa)|(?:didn't|did not|haven't|have not) "
    r"(?:get|got|receive|received) (?:the |any |an )?(?:prompt|stk|mpesa|pop ?up)"
    r"|(?:prompt|stk|pop ?up|request)(?: \w+){0,2} (?:didn'?t|did not|hasn'?t|has not|never|not)"
    r"(?: yet)? (?:come|came|arrive|arrived|show|shown|showed|appear|appeared|pop|reach|reached)"
    r"|(?:prompt|stk|pop ?up)(?: \w+)? (?:haija\w+|haiku\w+|haijai?ngia|haionekani)"
    r"|sijaona (?:prompt|stk|pop ?up|message ya mpesa))\b"
)
_ORDER_WHEREABOUTS = (
    r"\b(?:where(?:'s| is) my|(?:order|mzigo|parcel|package|rider)(?: \w+)? (?:iko|yuko|uko"
    r"|umefika|imefika|itafika|hajafika|haijafika|wapi)|(?:order|mzigo|parcel|package) "
    r"(?:yangu|wangu|yetu)|track (?:my |the )?(?:order|parcel|package|delivery)|when will "
    r"(?:it|my \w+|the \w+) (?:arrive|be delivered|come|get here|reach|be here)|when are you "
    r"delivering|(?:is|has) my (?:order|parcel|package|delivery) (?:on the way|been|shipped"
    r"|dispatched|left)|sijapata (?:order|mzigo|parcel|package|nguo)|nimengoja|i(?:'ve| have) "
    r"been waiting|haijafika|hajafika|(?:it'?s|its) been (?:\d+|two|three|four|a few|many"
    r"|several) (?:days|weeks)|lini \w*(?:leta|fika|tuma)\w*|\w+ta(?:fika|letwa)"
    r"|(?:m|u|wa)ta(?:leta|niletea|tuma)|update (?:on"
    r"|about|ya|kuhusu) (?:my |the )?(?:order|parcel|package|delivery)|order status"
    r"|expect (?:my |the )?(?:order|parcel|package|delivery|it)|(?:hasn't|has not|haven't"
    r"|not yet|still not) (?:arrived|come|been delivered|reached|delivered))\b"
)
_ORDER_MENTION = r"\b(?:my (?:order|parcel|package|delivery)|rider|mzigo)\b"
_PERSON_WANTED = (
    r"\b(?:(?:talk|speak|chat) (?:to|with)|kuongea na|kuongelesha|niongee na|kuzungumza na"
    r"|niunganishe na|connect me)\b|\b(?:human|agent|real person|customer (?:care|service"
    r"|support)|call me|nipigi\w*|manager|owner|mwenye duka|binadamu|put me through)\b"
)
_CART_CLEARING = (
    r"\b(?:(?:empty|clear|reset) (?:\w+ )?cart|(?:remove|delete|cancel|toa|ondoa|futa|clear)"
    r"(?: \w+){0,2}? (?:everything|all|yote|zote|kila kitu|chochote)|start over|anza upya"
    r"|nitaanza upya|sitaki chochote)\b"
)
_REMOVAL = (
    r"\b(?:remove|delete|take out|take off|toa|ondoa|futa|drop|sitaki (?:hiyo|hii|ile|hizo|ya"
    r"|tena)|(?:i )?(?:don't|do not|no longer) want (?:the|that|this|it|those|#))\b"
)
_NO_LONGER_WANTED = (  # removal by negation: "I don't want the blazer any more"
    r"\b(?:sitaki|sihitaji|(?:i )?(?:don'?t|do not) (?:want|need))(?: [\w']+){1,4}? (?:tena"
    r"|any ?more|no more)\b|\bno longer (?:want|need)\b|\bsina haja (?:na|ya) (?:ile|hiyo|hii"
    r"|hizo|zile)\b"
)
_CHANGE_OF_MIND = r"\b(?:changed my mind|change of mind|nimebadilisha (?:mind|nia)|nimeghairi)\b"
_SETTING_A_NUMBER = (
    r"\b(?:make (?:it|that|them|the \w+)|change|badilisha|iwe|weka|ongeza|add another"
    r"|one more|nyingine)\b"
)
_QUANTITY_WORDS = r"\b(?:quantity|qty|instead|badala|punguza|reduce|increase)\b"
_ONLY_SO_MANY = r"^\W*(?:only|just)\s+(?:\d|one|moja)"
_PAYING = (
    r"\b(?:check ?-?out|(?:want|wanna|like|ready|let me|can i|need) to pay|let me pay|pay now"
    r"|(?:let'?s|lets|let me|i want to|i'?d like to) (?:do|make|complete) (?:the |my )?payment"
    r"|(?:nitatuma|nitume|tutatuma) (?:pesa|doo|ganji|money)"
    r"|nataka kulipa|nataka kulipia|nikulipe|nilipe|nilipie|nitalipa|nitalipia|kulipa|kulipia"
    r"|lipa|lipia|how (?:do|can|should|will) i pay|how to pay|pay for (?:it|them|this|these|my)"
    r"|proceed|place (?:the |my )?order|complete (?:the |my )?order|confirm (?:the |my )?order"
    r"|send (?:me )?(?:the |a )?(?:mpesa |stk )?(?:prompt|push|request)|tuma (?:prompt|stk"
    r"|request)|pay (?:with|using|via|through)|that'?s all"
    r"|ni hizo tu|hiyo ndio yote"
    r"|(?:use|tumia) (?:this|the same|my|hii|hiyo)(?: same| hiyo)? (?:number|namba|line|phone))\b"
)
_CART_VIEWING = (
    r"\b(?:what'?s in (?:my|the) cart|(?:show|view|see|check) (?:me )?(?:my |the )?cart"
    r"|nione cart|(?:nimechagua|nimeweka|nimeongeza|nimeadd) nini|what (?:have|did) i (?:picked"
    r"|pick|chosen|choose|added|add|selected|select)|(?:my|the|cart|grand) total|total (?:ni|is"
    r"|yangu|amount)|jumla|how much do i owe|nini kwa cart|kwa cart (?:kuna|iko na) nini"
    r"|cart (?:iko na|ina) (?:nini|vitu))\b"
)
_HAGGLING = r"\b(?:discount|negotiable|last price|punguza bei|offer)\b"
_ITEM_DETAIL = (
    r"\b(?:how much|bei|ngapi|price|cost|kiasi gani|sizes|what size|which size|size gani"
    r"|saizi gani|come in|comes? with|inakuja|available|iko|ziko|zipo|material|fabric|cotton"
    r"|silk|linen|leather|stretch\w*|length|fit|colours?|rangi|in stock|inakaa|made of"
    r"|imetengenezwa|is it|ni ya)\b"
)
_ITEM_HAS = r"\b(?:iko|ziko|zipo|ipo|inakuja) na (?:size|saizi|rangi)\b"
_QUESTION_SHAPE = r"^\W*(?:does|do|is|are|will|would|can|could|je|how)\b|\?\s*$"
_SHOWN_ITEMS_DETAIL = (
    r"\b(?:how much|bei|ngapi|price|cost|kiasi gani|sizes|size gani|saizi gani|material"
    r"|fabric|colours|rangi gani|available)\b"
)
_TAKING = (
    r"\b(?:(?:add|put|weka) (?:[\w#]+ ){0,4}?(?:to|in|into|kwa|kwenye) (?:my |the )?cart"
    r"|add to cart|i'?ll (?:take|have|buy|get)|i will (?:take|buy)|ni(?:ta|na)(?:i|zi|ki|vi"
    r"|li)?(?:chukua|nunua)|nachukua|nanunua|niwekee|nibookie)\b"
)
_CHOOSING = (
    r"\b(?:i want|i'?d like|i need|i like|can i (?:get|have|order)|could i (?:get|have)"
    r"|give me|get me|let me (?:get|have|take)|nataka|ningependa|nipe|nipatie|naomba|add|buy"
    r"|order|weka|take|book|reserve|go (?:with|for)|going (?:with|for)|choose|pick|chagua"
    r"|nimependa|nimeipenda)\b"
)
_SEARCHING = (
    r"\b(?:do you (?:have|sell|stock)|you have any|have you got|got any|mko na|mna|mnauza"
    r"|mnasell|una|uko na|kuna|natafuta|looking for|searching for|show me|nionyeshe|nitumie "
    r"picha|send (?:me )?(?:pics|pictures|photos|picha)|what (?:\w+ )?do you have|mna nini"
    r"|catalogue|catalog|new arrivals|new stock|mzigo mpya|any)\b"
)
_CLOTHES = r"\b(?:outfit|outfits|clothes|nguo)\b"
_WHO_IS_THIS = (  # no shopping tool applies
    r"\b(?:bot|robot|who (?:is|are) (?:this|you)|wewe ni nani|ni nani)\b"
)
_SHOP_TOPICS = "|".join(
    (shop.LOCATION, shop.HOURS, shop.DELIVERY, shop.PICKUP, shop.PAYMENT_METHODS)
)
_BOUGHT = re.compile(shop.BOUGHT)
_THANKS = (
    r"\b(?:asante|thanks|thank you|shukran|\w*shukuru|bye|goodbye|kwaheri|tutaonana|tutaongea"
    r"|see you|baadaye|ubarikiwe|be blessed|god bless|have a (?:good|nice|great) \w+|cheers"
    r"|appreciated|helpful)\b"
)
_GREETING = (
    r"^\W*(?:hi|hey|hello|hallo|helo|hola|habari|hujambo|jambo|mambo|niaje|sasa|vipi|good "
    r"(?:morning|afternoon|evening|day)|morning|salamu|howdy|sup|wassup|shikamoo)\b"
)

# (intent, strength, pattern, when the rule applies)
_RULE_TABLE: tuple[tuple[Intent, float, str, Callable[[_Signals], bool]], ...] = (
    (Intent.COMPLAINT, 0.9, shop.DEFECT, _about_a_garment),
    (Intent.COMPLAINT, 0.9, shop.DEFECT_AFTER_BUYING, _after_buying),
    (Intent.COMPLAINT, 0.9, shop.RETURN_REQUEST, _always),
    (Intent.PAYMENT_STATUS, 0.95, _MPESA_CONFIRMATION, _always),
    (Intent.PAYMENT_STATUS, 0.9, _PAYMENT_CLAIMED, _always),
    (Intent.ORDER_STATUS, 0.9, _ORDER_WHEREABOUTS, _always),
    (Intent.ORDER_STATUS, 0.75, _ORDER_MENTION, _always),
    (Intent.TALK_TO_PERSON, 0.9, _PERSON_WANTED, _always),
    # Paying on delivery must outrank checkout: it never sends an M-Pesa prompt.
    (Intent.SHOP_QUESTION, 0.95, shop.PAY_ON_DELIVERY, _always),
    (Intent.SHOP_QUESTION, 0.95, shop.RETURNS_POLICY, _always),
    (Intent.SHOP_QUESTION, 0.9, _SHOP_TOPICS, _always),
    (Intent.SHOP_QUESTION, 0.85, shop.RETURNS_ASKED, _always),
    (Intent.CLEAR_CART, 0.9, _CART_CLEARING, _always),
    (Intent.REMOVE_FROM_CART, 0.85, _REMOVAL, _always),
    (Intent.REMOVE_FROM_CART, 0.85, _CHANGE_OF_MIND, _points_at_item),
    (Intent.REMOVE_FROM_CART, 0.85, _NO_LONGER_WANTED, _about_a_garment),
    (Intent.CHANGE_QUANTITY, 0.85, _SETTING_A_NUMBER, _has_quantity),
    (Intent.CHANGE_QUANTITY, 0.85, _QUANTITY_WORDS, _always),
    (Intent.CHANGE_QUANTITY, 0.75, _ONLY_SO_MANY, _always),
    (Intent.CHECKOUT, 0.9, _PAYING, _always),
    (Intent.VIEW_CART, 0.9, _CART_VIEWING, _always),
    (Intent.VIEW_CART, 0.6, r"\bcart\b", _always),
    (Intent.PRODUCT_QUESTION, 0.9, _HAGGLING, _items_shown),
    (Intent.PRODUCT_QUESTION, 0.85, _ITEM_DETAIL, _points_at_item),
    (Intent.PRODUCT_QUESTION, 0.8, _ITEM_HAS, _always),
    (Intent.PRODUCT_QUESTION, 0.8, _QUESTION_SHAPE, _points_at_item),
    (Intent.PRODUCT_QUESTION, 0.75, _SHOWN_ITEMS_DETAIL, _items_shown),
    (Intent.ADD_TO_CART, 0.85, _TAKING, _always),
    (Intent.ADD_TO_CART, 0.85, _CHOOSING, _points_at_item),
    (Intent.PRODUCT_SEARCH, 0.8, _SEARCHING, _always),
    (Intent.PRODUCT_SEARCH, 0.7, _CLOTHES, _always),
    (Intent.OTHER, 0.9, _WHO_IS_THIS, _always),
    (Intent.THANKS_GOODBYE, 0.55, _THANKS, _always),
    (Intent.GREETING, 0.5, _GREETING, _always),
)
_RULES = tuple(
    _Rule(intent, strength, re.compile(pattern), applies)
    for intent, strength, pattern, applies in _RULE_TABLE
)
_PRIORITY = {intent: rank for rank, intent in enumerate(Intent)}
# When these are said outright they win over "a photo means image search".
_BEATS_A_PHOTO = {
    Intent.COMPLAINT,  # a photo of the torn dress
    Intent.PAYMENT_STATUS,
    Intent.ORDER_STATUS,
    Intent.TALK_TO_PERSON,
    Intent.DELIVERY_ADDRESS,
}
_DECISIVE = 0.85
_MODEL_CERTAIN = 0.9  # the model alone decides above this probability
_MODEL_PLAUSIBLE = 0.1  # a reading offered as a choice when the agent asks


@dataclass(frozen=True)
class RuleReading:
    """What the phrase rules alone make of a message: every intent they voted for, and the
    one they chose in the light of the conversation."""

    text: str
    has_media: bool
    context: ClassifierContext
    entities: Entities
    scores: dict[Intent, float]
    intent: Intent
    strength: float

    def features(self) -> list[str]:
        return message_features(
            self.text,
            entities=self.entities,
            awaiting=self.context.awaiting,
            has_media=self.has_media,
            rule_votes=[(intent.value, strength) for intent, strength in self.scores.items()],
            rule_reading=self.intent.value,
        )


def read_by_rules(
    text: str, *, has_media: bool = False, context: ClassifierContext | None = None
) -> RuleReading:
    context = context or ClassifierContext()
    entities = extract_entities(text)
    normalized = normalize(text)
    signals = _Signals(
        entities=entities,
        points_at_item=bool(
            entities.item_refs or entities.ref_color or _POINTER.search(normalized)
        ),
        context=context,
        mentions_purchase=bool(_BOUGHT.search(normalized)),
    )
    scores = _score(normalized, signals)
    intent, strength = _best(scores)
    intent, strength = _apply_context(intent, strength, signals, has_media=has_media)
    return RuleReading(text, has_media, context, entities, scores, intent, strength)


def classify(
    text: str,
    *,
    has_media: bool = False,
    context: ClassifierContext | None = None,
    model: IntentModel | None | Literal["default"] = "default",
) -> Classification:
    """Intent, entities and language of one customer message; deterministic and fast.

    The rules read the message first; the learned model (when one ships) then weighs their
    reading with the words themselves. A reading is decisive when a strong rule and the model
    agree, or the model alone is nearly certain.
    """
    rules = read_by_rules(text, has_media=has_media, context=context)
    model = load_intent_model() if model == "default" else model
    intent, strength = rules.intent, rules.strength
    decisive = strength >= _DECISIVE
    alternatives = _runners_up(rules.scores, intent)
    if model is not None:
        ranked = [p for p in model.predict(rules.features()) if _possible(Intent(p.intent), rules)]
        best = ranked[0]
        agrees = Intent(best.intent) is rules.intent
        decisive = (agrees and decisive) or best.probability >= _MODEL_CERTAIN
        intent, strength = Intent(best.intent), best.probability
        alternatives = tuple(
            Intent(p.intent) for p in ranked[1:] if p.probability >= _MODEL_PLAUSIBLE
        )[:2]
    entities = rules.entities
    if intent is Intent.DELIVERY_ADDRESS and entities.address is None:
        entities = replace(entities, address=clean_address(text))
    return Classification(
        intent,
        entities,
        detect_language(text),
        strength,
        decisive=decisive,
        alternatives=alternatives,
    )


def _score(normalized: str, signals: _Signals) -> dict[Intent, float]:
    scores: dict[Intent, float] = {}
    for rule in _RULES:
        if scores.get(rule.intent, 0.0) < rule.strength and rule.pattern.search(normalized):
            if rule.applies(signals):
                scores[rule.intent] = rule.strength
    entities = signals.entities
    if entities.address:
        scores[Intent.DELIVERY_ADDRESS] = max(scores.get(Intent.DELIVERY_ADDRESS, 0.0), 0.85)
    wants_something = entities.categories or entities.max_price or entities.cheap
    if wants_something and not signals.points_at_item:
        scores[Intent.PRODUCT_SEARCH] = max(scores.get(Intent.PRODUCT_SEARCH, 0.0), 0.7)
    if signals.context.has_shown_items and (entities.item_refs or entities.sizes):
        # "#2 size M" is the agent's own suggested phrasing: an item and its size decide.
        picked = 0.85 if entities.item_refs and entities.sizes else 0.6
        scores[Intent.ADD_TO_CART] = max(scores.get(Intent.ADD_TO_CART, 0.0), picked)
    return scores


def _best(scores: dict[Intent, float]) -> tuple[Intent, float]:
    if not scores:
        return Intent.OTHER, 0.3
    return min(scores.items(), key=lambda item: (-item[1], _PRIORITY[item[0]]))


def _possible(intent: Intent, rules: RuleReading) -> bool:
    """The model learnt from mid-chat messages; nothing shown yet means nothing to pick or ask
    about."""
    if intent in (Intent.ADD_TO_CART, Intent.PRODUCT_QUESTION):
        return rules.context.has_shown_items or intent is rules.intent
    return True


def _runners_up(scores: dict[Intent, float], intent: Intent) -> tuple[Intent, ...]:
    ranked = sorted(scores.items(), key=lambda item: (-item[1], _PRIORITY[item[0]]))
    return tuple(name for name, _ in ranked if name is not intent)[:2]


def _apply_context(
    intent: Intent, strength: float, signals: _Signals, *, has_media: bool
) -> tuple[Intent, float]:
    """Let what the agent just asked for, or an attached photo, settle weak readings."""
    entities, awaiting = signals.entities, signals.context.awaiting
    decisive = strength >= _DECISIVE
    if has_media and not (decisive and intent in _BEATS_A_PHOTO):
        return Intent.IMAGE_SEARCH, 0.9
    if awaiting == "checkout_confirmation" and entities.yes and not decisive:
        return Intent.CHECKOUT, 0.9
    if awaiting == "payment_phone" and not decisive and (entities.phone or entities.yes):
        return Intent.CHECKOUT, 0.9
    if awaiting == "delivery_address" and not decisive:
        says_only_yes_no = (entities.yes or entities.no) and intent is Intent.OTHER
        small_talk = intent in (Intent.GREETING, Intent.THANKS_GOODBYE)
        if not (small_talk or says_only_yes_no):
            return Intent.DELIVERY_ADDRESS, 0.8
    return intent, strength
