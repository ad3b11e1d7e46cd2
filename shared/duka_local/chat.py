"""`duka chat`: type as the customer; the boutique's replies print as they land on the phone."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

from duka_local.sandbox_cli import answer_prompt, pending_prompt
from duka_local.simulator import Choice, WhatsAppSimulator

HELP = (
    "Type a message and press Enter. 'tap N' taps the Nth button or list row of the last "
    "reply that has them. '/photo PATH [caption]' sends a picture. '/quit' leaves."
)
_TAP = re.compile(r"^/?tap\s+(\d{1,2})$", re.IGNORECASE)


def run_chat(env: dict[str, str], *, business_number: str, customer_number: str) -> int:
    phone = WhatsAppSimulator(
        webhook_base_url=env["WEBHOOK_BASE_URL"],
        twilio_api_base_url=env["TWILIO_API_BASE_URL"],
        auth_token=env["TWILIO_AUTH_TOKEN"],
        account_sid=env["TWILIO_ACCOUNT_SID"],
        business_number=business_number,
        customer_number=customer_number,
    )
    phone.wait_for_replies(count=0, timeout=0.1, settle=0)  # skip earlier history
    print(f"Chatting with {business_number} as {customer_number}. {HELP}")
    tappable: dict[str, Any] | None = None  # the last reply with buttons or a list
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not line:
            continue
        if line == "/quit":
            return 0
        tap = _TAP.match(line)
        if tap:
            number = int(tap.group(1))
            if tappable is None or not 1 <= number <= len(phone.choices(tappable)):
                print("[nothing to tap with that number]", file=sys.stderr)
                continue
            phone.tap(tappable, number)
            tappable = show(phone, phone.wait_for_replies(count=1, timeout=30, settle=0.5))
            tappable = answer_mpesa_prompt(env, phone) or tappable
            continue
        photo: Path | None = None
        if line.startswith("/photo"):
            parts = shlex.split(line)
            if len(parts) < 2 or not Path(parts[1]).is_file():
                print("usage: /photo PATH [caption]", file=sys.stderr)
                continue
            photo, line = Path(parts[1]), " ".join(parts[2:])
        response = phone.send(line, photo=photo)
        if response.status_code != 200:
            print(f"[webhook answered {response.status_code}: {response.text}]")
            continue
        tappable = show(phone, phone.wait_for_replies(count=1, timeout=30, settle=0.5)) or tappable
        tappable = answer_mpesa_prompt(env, phone) or tappable


def show(phone: WhatsAppSimulator, replies: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Print replies, a reply's buttons or list rows numbered; returns the last such reply."""
    tappable = None
    for reply in replies:
        media = "".join(f"\n  [image] {url}" for url in reply["media_url"])
        choices = phone.choices(reply)
        body = reply["body"]
        if choices:  # the rendered body lists the options after the text: number them instead
            body = body.removesuffix("\n".join(_rendered(c) for c in choices)).rstrip()
            tappable = reply
        print(f"boutique> {body}{media}")
        for number, choice in enumerate(choices, 1):
            kind = "button" if choice.kind == "button" else "list"
            print(f"  [{kind} {number}] {_rendered(choice)}   (tap {number})")
    return tappable


def _rendered(choice: Choice) -> str:
    return choice.title + (f" — {choice.description}" if choice.description else "")


def answer_mpesa_prompt(env: dict[str, str], phone: WhatsAppSimulator) -> dict[str, Any] | None:
    """If the shop sent an STK push, show the phone's M-Pesa prompt and let the user answer;
    returns the last reply with buttons that followed (a failed payment offers "Try again")."""
    prompt = pending_prompt(env, phone.customer_number)
    if prompt is None:
        return None
    print(f"\n[M-Pesa] {prompt['text']}")
    try:
        pin = input("[M-Pesa] Enter PIN (1234 pays, another PIN fails, 'cancel'): ").strip()
    except (EOFError, KeyboardInterrupt):
        pin = "cancel"
    answer_prompt(env, prompt["reference"], pin or "cancel")
    return show(phone, phone.wait_for_replies(count=1, timeout=30, settle=0.5))
