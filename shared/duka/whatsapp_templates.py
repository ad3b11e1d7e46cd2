"""The WhatsApp templates: what a boutique may send a customer (or an owner) outside the 24-hour
window, registered with Twilio's Content API and approved by WhatsApp.

A proactive message names one in `metadata["template"] = {"name": <key of TEMPLATES>,
"variables": {"1": ..., ...}}`; delivery sends it as a template only when the window has
closed (inside it the message's own, richer text goes). WhatsApp refuses a template body that
starts or ends with a variable or has two side by side, so each body has words around them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

# MARKETING: offers (follow-ups, broadcasts), sent only to customers who opted in.
Category = Literal["UTILITY", "MARKETING", "AUTHENTICATION"]
LANGUAGES = ("en", "sw")
SIGN_IN_CODE = "sign_in_code"
OWNER_ALERT = "owner_alert"
STAFF_INVITE = "staff_invite"
SIGN_IN_CODE_MINUTES = 10
_VARIABLE = re.compile(r"\{\{(\d+)\}\}")


@dataclass(frozen=True)
class Template:
    name: str
    category: Category
    bodies: dict[str, str]  # language → body with {{1}}, {{2}}…
    samples: dict[str, str]  # a sample value per variable, which WhatsApp's review requires
    languages: tuple[str, ...] = field(default=LANGUAGES)
    to_owner: bool = False  # sent to the shop owner's phone, never offered for a customer

    def friendly_name(self, language: str) -> str:
        """WhatsApp template names: lowercase letters, digits and underscores."""
        return f"duka_{self.name}_{language}"

    def language_for(self, wanted: str | None) -> str:
        return wanted if wanted in self.languages else self.languages[0]

    def types(self, language: str) -> dict[str, Any]:
        if self.category == "AUTHENTICATION":
            return {
                "whatsapp/authentication": {
                    "add_security_recommendation": True,
                    "code_expiration_minutes": SIGN_IN_CODE_MINUTES,
                    "actions": [{"type": "COPY_CODE", "copy_code_text": "Copy code"}],
                }
            }
        return {"twilio/text": {"body": self.bodies[language]}}

    def definition(self, language: str) -> dict[str, Any]:
        """The Content API create body."""
        return {
            "friendly_name": self.friendly_name(language),
            "language": language,
            "variables": self.samples,
            "types": self.types(language),
        }

    def render(self, language: str, variables: dict[str, str]) -> str:
        """The text the recipient reads once the variables are filled in."""
        if self.category == "AUTHENTICATION":
            return (
                f"{variables.get('1', '')} is your verification code. For your security, do not "
                f"share this code.\nThis code expires in {SIGN_IN_CODE_MINUTES} minutes."
            )
        return _VARIABLE.sub(lambda m: variables.get(m.group(1), ""), self.bodies[language])


def digest(definition: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()


def _utility(name: str, en: str, sw: str, samples: dict[str, str]) -> Template:
    return Template(name=name, category="UTILITY", bodies={"en": en, "sw": sw}, samples=samples)


def _marketing(name: str, en: str, sw: str, samples: dict[str, str]) -> Template:
    return Template(name=name, category="MARKETING", bodies={"en": en, "sw": sw}, samples=samples)


@dataclass(frozen=True)
class ProductCard(Template):
    """A product as a Twilio `twilio/card`: the body is the card's title, then the photo (a
    variable URL, or none) and one quick-reply button (title per language, payload `button_id`).
    Twilio records the title as the message's body, so `render` reads the same."""

    media: str | None = None
    button: dict[str, str] = field(default_factory=dict)
    button_id: str = ""

    def types(self, language: str) -> dict[str, Any]:
        card: dict[str, Any] = {
            "title": self.bodies[language],
            "actions": [
                {"type": "QUICK_REPLY", "title": self.button[language], "id": self.button_id}
            ],
        }
        if self.media:
            card["media"] = [self.media]
        return {"twilio/card": card}


def _product_card(
    name: str, en: str, sw: str, samples: dict[str, str], media: str | None
) -> Template:
    return ProductCard(
        name=name,
        category="MARKETING",
        bodies={"en": en, "sw": sw},
        samples=samples,
        media=media,
        button={"en": "Shop now", "sw": "Nunua sasa"},
        button_id="browse",  # duka.orchestrator.interactive.BROWSE: what is in stock
    )


_ORDER = {"1": "Mama Mboga Boutique", "2": "Denim Jacket M ×1"}
_PAYMENT = {"1": "Mama Mboga Boutique", "2": "KES 2,500"}
# A public image, as the card's sample photo (Twilio's own documentation sample).
_CARD_PHOTO = (
    "https://twilio-cms-prod.s3.amazonaws.com/images/library-logo-resource2x.width-1000.png"
)
TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        _utility(
            "order_paid",
            "Payment received for your order from {{1}}: {{2}}, total {{3}}. We will tell you "
            "when it is on its way.",
            "Malipo ya oda yako kutoka {{1}} yamepokelewa: {{2}}, jumla {{3}}. Tutakujulisha "
            "ikiwa njiani.",
            {**_ORDER, "3": "KES 2,500"},
        ),
        _utility(
            "order_dispatched",
            "Good news! Your order from {{1}} ({{2}}) is on its way.",
            "Habari njema! Oda yako kutoka {{1}} ({{2}}) iko njiani.",
            _ORDER,
        ),
        _utility(
            "order_out_for_delivery",
            "Your order from {{1}} ({{2}}) is out for delivery today. Please keep your phone on.",
            "Oda yako kutoka {{1}} ({{2}}) inaletwa leo. Tafadhali weka simu yako wazi.",
            _ORDER,
        ),
        _utility(
            "order_delivered",
            "Your order from {{1}} ({{2}}) has been delivered. Thank you for shopping with us!",
            "Oda yako kutoka {{1}} ({{2}}) imefika. Asante kwa kununua nasi!",
            _ORDER,
        ),
        _utility(
            "payment_reminder",
            "Your order from {{1}} ({{2}}) of {{3}} is waiting for payment. Reply to this "
            "message to pay with M-Pesa.",
            "Oda yako kutoka {{1}} ({{2}}) ya {{3}} inasubiri malipo. Jibu ujumbe huu ili "
            "ulipe kwa M-Pesa.",
            {**_ORDER, "3": "KES 2,500"},
        ),
        # A lipa pole pole (layaway) payment that leaves a balance (duka.orders.layaway_notices).
        _utility(
            "layaway_payment",
            "Your order from {{1}}: we received {{2}}. The balance of {{3}} is due by {{4}}. "
            "Reply to this message to pay more.",
            "Oda yako kutoka {{1}}: tumepokea {{2}}. Salio la {{3}} linatakiwa kufikia {{4}}. "
            "Jibu ujumbe huu ili ulipe zaidi.",
            {"1": "Mama Mboga Boutique", "2": "KES 1,000", "3": "KES 1,800", "4": "31/12/2026"},
        ),
        _utility(
            "back_in_stock",
            "Good news! {{1}} is back in stock at {{2}}. Reply to this message to order it.",
            "Habari njema! {{1}} imerudi dukani {{2}}. Jibu ujumbe huu ili uiagize.",
            {"1": "Denim Jacket", "2": "Mama Mboga Boutique"},
        ),
        # Payment notices other than "paid": {{1}} shop, {{2}} the order's total, then what to do.
        _utility(
            "payment_failed",
            "Your M-Pesa payment for your order from {{1}} ({{2}}) did not go through. Reply "
            "to this message to try again or to pay another way.",
            "Malipo yako ya M-Pesa kwa oda yako kutoka {{1}} ({{2}}) hayakukamilika. Jibu "
            "ujumbe huu ili ujaribu tena au ulipe kwa njia nyingine.",
            _PAYMENT,
        ),
        _utility(
            "payment_expired",
            "Your order from {{1}} ({{2}}) has expired because the M-Pesa payment was not "
            "completed, so the items are back on the shelf. Reply to this message if you would "
            "still like them.",
            "Oda yako kutoka {{1}} ({{2}}) imepitwa na muda kwa sababu malipo ya M-Pesa "
            "hayakukamilika, kwa hivyo bidhaa zimerudishwa dukani. Jibu ujumbe huu kama bado "
            "unazitaka.",
            _PAYMENT,
        ),
        _utility(
            "payment_flagged",
            "Your order from {{1}} ({{2}}): we received your M-Pesa payment of {{3}}. The shop "
            "will check it and get back to you shortly.",
            "Oda yako kutoka {{1}} ({{2}}): tumepokea malipo yako ya M-Pesa ya {{3}}. Duka "
            "litayakagua na kuwasiliana nawe hivi karibuni.",
            {**_PAYMENT, "3": "KES 2,000"},
        ),
        _utility(
            "order_cancelled",
            "Your order from {{1}} ({{2}}) has been cancelled by the shop and the items are "
            "back on the shelf. The shop will contact you about your M-Pesa payment of {{3}}.",
            "Oda yako kutoka {{1}} ({{2}}) imeghairiwa na duka na bidhaa zimerudishwa dukani. "
            "Duka litawasiliana nawe kuhusu malipo yako ya M-Pesa ya {{3}}.",
            {**_PAYMENT, "3": "KES 2,000"},
        ),
        # A refund reached the customer (duka/orders/refunds.py): {{1}} shop, {{2}} the amount
        # given back, {{3}} the order's total. Also the in-window text, so one wording is kept.
        _utility(
            "refund_sent",
            "Refund from {{1}}: we have sent you {{2}} back for your order of {{3}}. Reply to "
            "this message if you have any questions.",
            "Marejesho kutoka {{1}}: tumekurudishia {{2}} kwa oda yako ya {{3}}. Jibu ujumbe "
            "huu kama una swali lolote.",
            {"1": "Mama Mboga Boutique", "2": "KES 1,000", "3": "KES 2,800"},
        ),
        # Follow-ups outside the 24-hour window, only to customers who opted in
        # (duka/orders/follow_up_job.py): {{1}} shop, {{2}} the items, {{3}} the total.
        _marketing(
            "follow_up_cart",
            "Your cart at {{1}} is still waiting: {{2}}, total {{3}}. Reply to this message to "
            "pay with M-Pesa or to change your cart.",
            "Cart yako kwa {{1}} bado inakusubiri: {{2}}, jumla {{3}}. Jibu ujumbe huu ili ulipe "
            "kwa M-Pesa au ubadilishe cart yako.",
            {"1": "Mama Mboga Boutique", "2": "1 x Denim Jacket (size M)", "3": "KES 2,500"},
        ),
        _marketing(
            "follow_up_prompt",
            "Your M-Pesa payment at {{1}} for {{2}} ({{3}}) did not go through. Your items are "
            "still in your cart: reply to this message to try again.",
            "Malipo yako ya M-Pesa kwa {{1}} ya {{2}} ({{3}}) hayakukamilika. Bidhaa zako bado "
            "ziko kwenye cart: jibu ujumbe huu ujaribu tena.",
            {"1": "Mama Mboga Boutique", "2": "1 x Denim Jacket (size M)", "3": "KES 2,500"},
        ),
        # A broadcast's product card (duka/broadcasts/): {{1}} shop, {{2}} product, {{3}} price,
        # {{4}} its photo's public URL (WhatsApp's review needs a real image as the sample).
        # Also the in-window text (with the photo attached), so one wording is kept.
        _product_card(
            "broadcast_product",
            "New at {{1}}: {{2}}, now {{3}}. Reply to this message to order it.",
            "Mpya dukani {{1}}: {{2}}, sasa {{3}}. Jibu ujumbe huu ili uiagize.",
            {"1": "Mama Mboga Boutique", "2": "Denim Jacket", "3": "KES 2,500", "4": _CARD_PHOTO},
            "{{4}}",
        ),
        # The same card for a product with no public photo.
        _product_card(
            "broadcast_product_text",
            "New at {{1}}: {{2}}, now {{3}}. Reply to this message to order it.",
            "Mpya dukani {{1}}: {{2}}, sasa {{3}}. Jibu ujumbe huu ili uiagize.",
            {"1": "Mama Mboga Boutique", "2": "Denim Jacket", "3": "KES 2,500"},
            None,
        ),
        # To the owner's phone, whose own 24-hour window is usually closed. English only, like
        # every owner alert.
        Template(
            name=OWNER_ALERT,
            category="UTILITY",
            bodies={
                "en": "Duka alert for your shop: {{1}}. Customer: {{2}}. Open the chat on your "
                "Duka dashboard to reply."
            },
            samples={"1": "a customer wants to talk to a person", "2": "+254712345678"},
            languages=("en",),
            to_owner=True,
        ),
        # To a phone the owner added as staff (dashboard/staff_invite.py).
        Template(
            name=STAFF_INVITE,
            category="UTILITY",
            bodies={
                "en": "You were added as staff of {{1}} on Duka. Sign in at {{2}} with this "
                "WhatsApp number: a code will come here."
            },
            samples={"1": "Mama Mboga Boutique", "2": "https://duka.example/dashboard/login"},
            languages=("en",),
            to_owner=True,
        ),
        Template(
            name=SIGN_IN_CODE,
            category="AUTHENTICATION",
            bodies={},
            samples={"1": "12345678"},
            languages=("en",),
        ),
    )
}


def owner_alert(reason: str, customer_phone: str) -> dict[str, Any]:
    """`metadata["template"]` of an owner alert: the reason line, and whose chat it is."""
    return template_metadata(OWNER_ALERT, {"1": reason, "2": customer_phone})


def template_metadata(name: str, variables: dict[str, str]) -> dict[str, Any]:
    """`metadata["template"]` for a queued message (checked here so a typo fails at once)."""
    template = TEMPLATES[name]
    missing = set(template.samples) - set(variables)
    if missing:
        raise ValueError(f"template {name} needs variables {sorted(missing)}")
    return {"name": name, "variables": {k: str(v) for k, v in variables.items()}}
