"""How a customer says she will pay when the parcel arrives, read in code (pod_flow.reroute).

"Pay on delivery", "cash on delivery", "COD", "pay when it arrives", "nitalipa nikipokea",
"lipa ukifika", "nitalipa mzigo ikifika", "ntapay rider akifika": a word for paying and a word
for the parcel arriving (or the rider), near each other, in either order. Paying that already
happened ("nimelipa ... ikifika lini") and questions about delivery itself are not it.
`asks_about_it` tells a question ("do you do pay on delivery?", "can I pay on delivery?") from
her choice ("I'll pay on delivery", "nitalipa nikipokea"): a question only gets the answer, so
no order is placed (and no rider sent) on a question.
"""

from __future__ import annotations

import re

from duka.orchestrator.entities import normalize

_DELIVERY = r"d[ei]l[ei]v\w*"  # delivery, delivary, delevery, dilivery, deliverly
_ARRIVAL = r"arr?iv\w*"
# Phrases that say it whole.
_WHOLE = (
    rf"\bcash (?:on|upon|at|after|when) (?:{_DELIVERY}|{_ARRIVAL})"
    r"|\bc\.? ?o\.? ?d\b|\bpod\b"
    rf"|\b(?:pay|paying|payment|pay cash|paying cash) (?:on|upon|at|after|during|when|once"
    rf"|baada ya|wakati wa) (?:the )?(?:{_DELIVERY}|{_ARRIVAL}|receiv\w*|receipt|kupokea"
    r"|kufika)"
    r"|\bpay(?:ing)? (?:cash )?(?:to )?(?:the |your )?(?:rider|delivery (?:guy|man|person|boy)"
    r"|courier|boda(?: ?boda)?(?: guy| rider| man)?|mtu wa delivery)"
    # "I'll give the courier cash", "nitampea rider doh": money into the rider's hand
    r"|\b(?:give|hand|pea|mpea|nimpe|\w{0,4}tampa|\w{0,4}tampea) (?:the |your )?(?:rider"
    r"|courier|boda(?: ?boda)?|delivery (?:guy|man|person)|mtu wa delivery) (?:the )?(?:cash"
    r"|money|pesa|doh|mpesa|m-pesa)"
)
# English: paying, then when it comes ("pay when it arrives", "pay once I get it").
_EN_PAY = (
    r"\b(?:i'?ll |i will |i can |can i |let me |i want to |i'd rather |i prefer )?pay(?:ing)?\b"
)
# The parcel or the rider arriving; when she herself arrives somewhere ("once I reach the
# office"), only her getting the parcel counts ("once I receive it").
_EN_WHEN = (
    r"\b(?:when|once|after|as soon as) (?:(?:it|they|the \w+|my \w+|you|your rider|the rider"
    r"|rider) (?:\w+ )?(?:arrive\w*|come\w*|get\w* (?:here|there|to me)|reach\w*"
    rf"|(?:is|are) {_DELIVERY}|{_DELIVERY}|bring\w*|drop\w* (?:it|them) off"
    r"|get (?:it|them|my order|the parcel|the package)|receive\w*|collect\w*)"
    r"|(?:i|we) (?:\w+ )?(?:get (?:it|them|my order|the parcel|the package)|receive\w*))"
)
# Swahili and Sheng: a verb of paying ("nitalipa", "nilipe", "tutalipia", "ntapay"), not a
# past one ("nimelipa", "nililipa"), and the parcel arriving or handed over, either order.
_SW_PAY = (
    r"\b(?!(?:ni|tu|u|m|a)?(?:me|li)lip)\w{0,6}(?:lip(?:a|e|ia|ie|iwa)|pay)\b"
    r"|\b(?:pesa|cash|doh|malipo)\b"
)
# "Ikifika", "ukiletwa", "nikipokea": the parcel arriving or her receiving it. Her own arriving
# or getting something else ("nikifika town", "nikipata mshahara") is not the parcel's.
_SW_ARRIVE = (
    r"\b(?!(?:ni|tu)k(?:i|isha?)(?:fika|wasili|kuja|pata)\b)"
    r"(?:i|u|a|ni|tu|m|ki|wa)?k(?:i|isha?)(?:fika|pokea|letwa|letewa|leta|wasili|ni ?fiki\w*"
    r"|niletea|tuletea|kuja|ipata|pata)\w*"
    r"|\b(?:ni|tu)k(?:i|isha?)pata (?:mzigo|order|oda|parcel|package|bidhaa|nguo|dress)\b"
    rf"|\bbaada ya (?:ku)?(?:pokea|fika|letewa|{_DELIVERY})|\bwakati wa (?:ku)?(?:pokea"
    rf"|{_DELIVERY})|\bmzigo (?:ukifika|ikifika|ukiletwa)|\bkwa rider\b|\brider akifika\b"
    rf"|\bon {_DELIVERY}|\bafter {_DELIVERY}"
)
_NEAR = r"(?:\W+\w+){0,4}?\W+"
_SAYS_IT = re.compile(
    rf"{_WHOLE}"
    rf"|{_EN_PAY}(?: (?:for )?(?:it|them|the \w+|my order))?(?: in cash| cash)? {_EN_WHEN}"
    rf"|(?:{_SW_PAY}){_NEAR}(?:{_SW_ARRIVE})"
    rf"|(?:{_SW_ARRIVE}){_NEAR}(?:{_SW_PAY})"
)
# "Do you do/offer pay on delivery?", "can I...?", "mnakubali", "ni sawa?": asked, not chosen.
_ASKED = re.compile(
    r"\?\s*$|^(?:\w+,? )?(?:can|could|may|do|does|is|are|will|would)\b|\b(?:ni sawa|sawa\?"
    r"|naweza|inawezekana|inakubalika|is that ok|is it ok|is that fine|is it possible)\b"
)
_POLICY = re.compile(
    r"\b(?:do|does) (?:you|u|ya|your shop) (?:guys )?(?:do|offer|have|accept|allow|take"
    r"|support)\b|\b(?:is|are) (?:there|it|pay on \w+|cash on \w+|cod) (?:an option|available"
    r"|possible|allowed)|\bavailable\b|\b(?:mnafanya|mnakubali|mnaruhusu|mnaoffer|mnado|mko na"
    r"|mna|kuna|inawezekana|inakubalika)\b"
)
# Her own choice even in a question's words: "I want...", "nataka...", "I'll pay...".
_CHOOSES = re.compile(
    r"\b(?:i want|i'd like|i would like|i'll|i will|let me|nataka|ningependa|nitalipa|ntalipa"
    r"|nitapay|ntapay|nilipe|wacha nilipe|acha nilipe)\b"
)


def says_pay_on_delivery(text: str) -> bool:
    """She speaks of paying when the parcel arrives (a choice or a question about it)."""
    return bool(_SAYS_IT.search(normalize(text)))


def asks_about_it(text: str) -> bool:
    """A question (does the shop do it? may I?), not her choice for this order: it is
    answered, and she places the order by saying she will pay on delivery."""
    normalized = normalize(text)
    asked = _POLICY.search(normalized) or _ASKED.search(normalized)
    return bool(asked) and not _CHOOSES.search(normalized)
