"""What a customer asks about the shop itself, and how a complaint is said.

The classifier builds its `shop_question` and `complaint` rules from these patterns and the
shop-question handler reads the topics from the same ones, so a message the classifier calls a
shop question is always answered on the topics it named. Patterns match normalize()d text.
"""

from __future__ import annotations

import re

# Paying when the parcel arrives: never a checkout, so never an M-Pesa prompt (strongest rule).
PAY_ON_DELIVERY = (
    r"\b(?:pay(?:ment)? (?:on|upon|after|at|when) (?:delivery|deliver\w*|receiv\w*|arrival"
    r"|pick ?up|i (?:get|receive) (?:it|them|my order))|cash on delivery|pay on deliv\w*"
    r"|pay (?:the )?(?:rider|cash to the rider)|(?:ni|tu|ku|niki|tuki)?lip(?:e|a|ia) (?:nikipokea"
    r"|nikishapokea|baada ya kupokea|baada ya delivery|ikifika|mkileta|mkifika|nikiletewa"
    r"|on delivery|after delivery|rider akifika|kwa rider|rider)|pay(?:ing)? cash (?:on|when)"
    r"|lipa (?:mzigo|nguo) ikifika)\b"
)
# A question about the policy, not a request to send something back.
RETURNS_POLICY = (
    r"\b(?:returns? policy|exchange policy|refund policy|(?:do|can|will) you (?:accept|take|do"
    r"|allow) (?:returns?|exchanges?|refunds?)|mnakubali (?:ku)?(?:rudisha|badilisha|returns?"
    r"|exchange)|mnarudisha pesa|(?:return|exchange|rudisha|badilisha)\w*\b.*\b(?:if|kama"
    r"|ikiwa|in case)\b)"
)
RETURNS_ASKED = (
    r"\b(?:(?:can|could|may) i (?:return|exchange|swap)|naweza (?:ku)?(?:rudisha|badilisha)"
    r"|returns?|exchanges?|refunds?)\b"
)
PAYMENT_METHODS = (
    r"\b(?:(?:till|paybill|pay bill|pochi)(?: (?:la|ya) biashara)?(?: \w+)? (?:number|no|namba"
    r"|details|account|ni gani)|what(?:'s| is) (?:your|the) (?:till|paybill|pochi)"
    r"|(?:payment|pay) (?:methods?|options?)|(?:can i|do you|mnakubali|mnachukua) (?:pay )?"
    r"(?:with |by |using |via )?(?:cash|card|visa|bank|till|paybill|pochi)"
    r"|(?:lipa|pay) (?:na|with|by|via) (?:till|paybill|pochi|card|bank))\b"
)
LOCATION = (
    r"\b(?:where (?:is|are) (?:your|you)|where(?:'re| r) you|located|location yenu|mko wapi"
    r"|mnapatikana wapi|duka (?:liko|lenu|yenu)|shop (?:iko|yenu|liko)|(?:do you have|mko na"
    r"|mna) (?:a |an |any )?(?:physical )?(?:shop|store|branch|duka)|directions?|nielekeze"
    r"|(?:ni|nita|nta)fika aje|how (?:do|can) i (?:get|find|come) (?:to )?(?:you|there|the shop"
    r"|your shop))\b"
)
HOURS = (
    r"\b(?:what time|opening hours|working hours|business hours|open|close(?! to\b)|closing"
    r"|mnafungua|mnafunga|mko open|saa ngapi)\b"
)
DELIVERY = (
    r"\b(?:(?:how much|how long|price|bei|ngapi|cost|charge|fee)\b.*\b(?:deliver|delivery"
    r"|shipping|transport|usafiri)|(?:deliver\w*|shipping)\b.*\b(?:how much|how long|cost|fee"
    r"|charges?|bei|ngapi|take|itachukua|siku ngapi)|(?:do|can|will) you (?:deliver|ship"
    r"|send (?:to|it to|parcels|upcountry)|do deliver\w*)|mnafika|mnadeliver|mnaleta|mnatuma"
    r"|mnapeleka|mnasafirisha"
    r"|delivery (?:fee|charges?|cost))\b"
)
DELIVERY_TIME = (
    r"\b(?:how long|take|takes|itachukua|siku ngapi|same day|when|lini|today|tomorrow|leo"
    r"|kesho|days|siku|sunday|saturday|weekend)\b"
)
PICKUP = (
    r"\b(?:pick (?:it |them |my order |the order )?up|pickup|collect (?:it|them|my order|in"
    r" person|from)|kuchukua mwenyewe|nichukue mwenyewe|(?:ni|nita)kuja kuchukua|nije nichukue"
    r"|walk in)\b"
)

TOPICS: dict[str, str] = {  # answered in this order
    "location": LOCATION,
    "hours": HOURS,
    "delivery": DELIVERY,
    "pickup": PICKUP,
    "pay_on_delivery": PAY_ON_DELIVERY,
    "returns": f"{RETURNS_POLICY}|{RETURNS_ASKED}",
    "payment_methods": PAYMENT_METHODS,
}
_TOPICS = {name: re.compile(pattern) for name, pattern in TOPICS.items()}
_DELIVERY_TIME = re.compile(DELIVERY_TIME)
_DIRECTIONS = re.compile(r"\b(?:directions?|nielekeze|fika aje|how (?:do|can) i (?:get|find))\b")

# A garment named (or "it", or something bought) with one of these is a complaint.
DEFECT = (
    r"\b(?:damaged|defect\w*|faulty|broken|stain\w*|dirty|shrunk|shrank|shrink\w*|bleeds?"
    r"|loose threads?"
    r"|(?:is|are|was|were|came|arrived|got|it's|its|ni|imekuja) (?:\w+ )?(?:torn|faded|ripped"
    r"|the wrong (?:size|colou?r|item|one)|wrong (?:size|colou?r))|(?:has|have|with) a hole"
    r"|(?:sent|gave|brought|delivered) (?:me |us )?(?:the |a )?wrong|not what i (?:ordered|saw"
    r"|paid for)|(?:doesn't|does not|didn't|did not|don't|do not) fit|poor quality|bad quality"
    r"|low quality|imechanika|imeraruka|imetoboka|imeharibika|imefifia|imechujuka|imepauka"
    r"|imeisha rangi|haifit|haikufit|haijafit|hainifit|haitoshi|hainitoshi|haikunitosha"
    r"|size mbaya|rangi mbaya|(?:si|sio) (?:size|rangi) (?:yangu|niliyo\w*)|mbovu|quality mbaya"
    r"|zip (?:imeharibika|imekatika|haifanyi|is broken|broke))\b"
)
# Words that are a style or a question before buying, and a complaint only after it.
DEFECT_AFTER_BUYING = (
    r"\b(?:too (?:small|big|tight|loose|short|long)|ndogo sana|kubwa sana|inabana|imenibana"
    r"|fake|torn|faded|ripped|wrong (?:size|colou?r|item|one|order))\b"
)
BOUGHT = (
    r"\b(?:i (?:bought|ordered|received|got)|you (?:sent|delivered|gave)|delivered|arrived|came"
    r"|nilinunua|niliorder|nimepokea|nilipokea|mliniletea|mlinitumia|mlituma|imefika|imekuja"
    r"|my order|the order)\b"
)
RETURN_REQUEST = (
    r"\b(?:(?:want|wanna|would like|'d like|need) (?:to )?(?:return|exchange|swap|a refund|my"
    r" money back|refund)|refund (?:me|my)|give me (?:a refund|my money back)|money back"
    r"|(?:nataka|ningependa|naomba) (?:ku)?(?:rudisha|badilisha|refund|return|exchange)"
    r"|nirudishie (?:pesa|doo|ganji|money|cash)|rudisha (?:pesa|doo|ganji)|nirefund\w*"
    r"|nibadilishie|(?:return|exchange) (?:it|this|these|them|the \w+) (?:and|for)"
    r"|i(?:'m| am) (?:not happy|not satisfied|disappointed)|sijafurahi|sijaridhika"
    r"|complain\w*|malalamiko|nalalamika)\b"
)


def asked_topics(normalized: str) -> list[str]:
    """The shop topics a normalize()d message asks about, in answering order."""
    return [name for name, pattern in _TOPICS.items() if pattern.search(normalized)]


def asks_delivery_time(normalized: str) -> bool:
    return bool(_DELIVERY_TIME.search(normalized))


def asks_directions(normalized: str) -> bool:
    return bool(_DIRECTIONS.search(normalized))
