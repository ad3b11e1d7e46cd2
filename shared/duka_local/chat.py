"""`duka chat`: type as the customer; the boutique's replies print as they land on the phone."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from duka_local.sandbox_cli import answer_prompt, pending_prompt
from duka_local.simulator import WhatsAppSimulator

HELP = "Type a message and press Enter. '/photo PATH [caption]' sends a picture. '/quit' leaves."


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
        show(phone.wait_for_replies(count=1, timeout=30, settle=0.5))
        answer_mpesa_prompt(env, phone)


def show(replies: list[dict[str, Any]]) -> None:
    for reply in replies:
        media = "".join(f"\n  [image] {url}" for url in reply["media_url"])
        print(f"boutique> {reply['body']}{media}")


def answer_mpesa_prompt(env: dict[str, str], phone: WhatsAppSimulator) -> None:
    """If the shop sent an STK push, show the phone's M-Pesa prompt and let the user answer."""
    prompt = pending_prompt(env, phone.customer_number)
    if prompt is None:
        return
    print(f"\n[M-Pesa] {prompt['text']}")
    try:
        pin = input("[M-Pesa] Enter PIN (1234 pays, another PIN fails, 'cancel'): ").strip()
    except (EOFError, KeyboardInterrupt):
        pin = "cancel"
    answer_prompt(env, prompt["reference"], pin or "cancel")
    show(phone.wait_for_replies(count=1, timeout=30, settle=0.5))
