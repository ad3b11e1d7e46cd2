"""Questions about the shop, answered from the owner's settings, and complaints for the owner.

The owner's own question/answer pairs answer too (owner_questions.saved_answer). What the owner
has not set is never guessed: the agent says it will ask, puts the question on the owner's
dashboard and flags the chat (owner_questions.ask_owner, attention_reason "question"). A complaint
flags the chat too ("complaint"), alerts the owner and apologises; neither runs a search or
touches the cart, the items shown or a payment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from duka.delivery.zones import any_zone_allows, zones_decide_pay_on_delivery, zones_of
from duka.orchestrator.deps import TurnDeps
from duka.orchestrator.entities import normalize
from duka.orchestrator.facts import Facts
from duka.orchestrator.owner_questions import ask_owner, flag_for_owner, saved_answer
from duka.orchestrator.pod_words import says_pay_on_delivery
from duka.orchestrator.shop_topics import asked_topics, asks_delivery_time, asks_directions
from duka.orchestrator.shopping import Turn
from duka.orchestrator.templates import TOPIC_NAMES, kes, lang_key, say
from duka.orders.delivery import delivery_fee, delivery_fees, delivery_zone
from duka.phone import InvalidPhoneNumber, local_format
from duka.whatsapp_templates import owner_alert


def complaint(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    flag_for_owner(deps.state, "complaint")
    owner = deps.business.get("phone")
    if owner and owner != deps.business.get("whatsapp_number"):
        facts.extra_messages.append(
            {
                "to": owner,
                "role": "system",
                "text": say(
                    "owner_complaint", "en", phone=deps.customer_phone, text=turn.text[:200]
                ),
                "template": owner_alert(say("owner_complaint_reason", "en"), deps.customer_phone),
            }
        )
    facts.draft = say("complaint", turn.language)
    return facts


class _Answer:
    """The lines known from the settings, and the topics the owner must answer."""

    def __init__(self, turn: Turn, settings: dict[str, Any]) -> None:
        self.language = turn.language
        self.area = turn.entities.delivery_area
        self.text = normalize(turn.text)
        self.settings = settings
        self.profile: dict[str, Any] = settings.get("profile") or {}
        self.shop: dict[str, Any] = settings.get("shop") or {}
        self.lines: list[str] = []
        self.unknown: list[str] = []
        self.fees: list[int] = []

    def _line(self, key: str, **values: Any) -> None:
        self.lines.append(say(key, self.language, **values))

    def location(self) -> None:
        location, directions = self.profile.get("location"), self.shop.get("directions")
        if location:
            self._line("shop_location", location=location)
        if directions:
            self._line("shop_directions", directions=directions)
        elif not location:
            self.unknown.append("location")
        elif asks_directions(self.text):
            self.unknown.append("directions")

    def hours(self) -> None:
        if self.profile.get("hours"):
            self._line("shop_hours", hours=self.profile["hours"])
        else:
            self.unknown.append("hours")

    def delivery(self) -> None:
        if self.area and delivery_zone(self.settings, self.area) != "pickup":
            fee = delivery_fee(self.settings, self.area)
            if fee is None:  # no zone covers it: the owner says what it costs
                self.unknown.append("delivery_fee")
            else:
                self.fees.append(fee)
                self._line("delivery_to", area=self.area, fee=kes(fee))
        else:
            fees = {z: f for z, f in delivery_fees(self.settings).items() if z != "pickup"}
            self.fees += fees.values()
            named = [f"{'CBD' if z == 'cbd' else z.title()} {kes(f)}" for z, f in fees.items()]
            self._line("delivery_fees", fees=", ".join(named))
        if asks_delivery_time(self.text):
            if self.shop.get("delivery_times"):
                self._line("delivery_time", times=self.shop["delivery_times"])
            else:
                self.unknown.append("delivery_time")

    def pickup(self) -> None:
        allowed = self.shop.get("pickup")
        if allowed is None:
            self.unknown.append("pickup")
            return
        if not allowed:
            self._line("pickup_no")
            return
        where = self.shop.get("pickup_where") or self.profile.get("location")
        lead = " from " if lang_key(self.language) == "en" else " hapa: "
        self._line("pickup_yes", where=f"{lead}{where}" if where else "")

    def pay_on_delivery(self) -> None:
        if zones_decide_pay_on_delivery(self.settings):  # the owner chose per zone
            zones = zones_of(self.settings)
            names = [zone.name for zone in zones if zone.pay_on_delivery]
            if not names:
                self._line("pod_no")
            elif len(names) == len(zones):
                self._line("pod_everywhere")
            else:
                self._line("pod_some_zones", zones=", ".join(names))
            return
        allowed = self.shop.get("pay_on_delivery")
        if allowed is None:
            self.unknown.append("pay_on_delivery")
        else:
            self._line("pod_yes" if allowed else "pod_no")

    def returns(self) -> None:
        if self.shop.get("returns"):
            self._line("shop_returns", policy=self.shop["returns"])
        else:
            self.unknown.append("returns")

    def payment_methods(self) -> None:
        methods = []
        if self.shop.get("till"):
            methods.append(f"Till {self.shop['till']}")
        if self.shop.get("paybill"):
            account = self.shop.get("paybill_account")
            methods.append(f"Paybill {self.shop['paybill']}" + (f" ({account})" if account else ""))
        if self.shop.get("pochi"):
            try:
                methods.append(f"Pochi la Biashara {local_format(self.shop['pochi'])}")
            except InvalidPhoneNumber:
                pass  # the form only stores valid numbers; an old value is left out
        if methods:
            self._line("pay_methods", methods=", ".join(methods))
        self._line("pay_prompt")


def payment_methods(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    """The shop's ways to pay, as `shop_question` answers them ("Other ways to pay" tapped)."""
    answer = _Answer(turn, deps.business.get("settings") or {})
    answer.payment_methods()
    facts.notes += answer.lines
    facts.draft = "\n".join(answer.lines)
    return facts


def shop_question(deps: TurnDeps, turn: Turn, facts: Facts) -> Facts:
    answer = _Answer(turn, deps.business.get("settings") or {})
    answerers: dict[str, Callable[[], None]] = {
        "location": answer.location,
        "hours": answer.hours,
        "delivery": answer.delivery,
        "pickup": answer.pickup,
        "pay_on_delivery": answer.pay_on_delivery,
        "returns": answer.returns,
        "payment_methods": answer.payment_methods,
    }
    topics = asked_topics(answer.text)
    if "pay_on_delivery" not in topics and says_pay_on_delivery(turn.text):
        topics.append("pay_on_delivery")  # the chat's own matcher reads more spellings
    for topic in topics:
        answerers[topic]()
    cart = deps.state.current_cart()
    settings = deps.business.get("settings") or {}
    if "pay_on_delivery" in topics and cart.items and any_zone_allows(settings):
        answer.lines.append(say("pod_how_to_choose", turn.language))
    if not topics:
        answer.unknown.append("question")
    saved = saved_answer(deps, turn.text, turn.language)
    if saved is not None:  # the owner's own answer covers the topics its wording asks
        answer.unknown = [t for t in answer.unknown if t not in saved.topics | {"question"}]
    facts.allow(*answer.fees)
    facts.notes += answer.lines
    lines = list(answer.lines)
    if saved is not None:
        lines.append(saved.text)
        facts.notes.append(f"The owner's own answer to “{saved.question}”: {saved.text}")
    if answer.unknown:
        ask_owner(deps, turn.text, ",".join(answer.unknown))
        names = TOPIC_NAMES[lang_key(turn.language)]
        asked = ", ".join(names[topic] for topic in answer.unknown)
        lines.append(say("ask_owner", turn.language, topics=asked))
        facts.notes.append(
            f"The owner has not said anything about {asked}: say you will ask the owner and "
            "get back to the customer; never guess it."
        )
    facts.draft = "\n".join(lines)
    facts.use_llm = True
    return facts
