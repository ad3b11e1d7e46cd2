"""Benchmark: share of journey turns answered with an interactive message (list or buttons).

A turn is one customer message and the answer the phone got for it; it counts as interactive
when the answer arrived as a Content resource with a twilio/list-picker or twilio/quick-reply
(what the customer can tap), read from the Twilio sandbox as the phone sees it. Offline (no
Gemini key), over two scripted sets: the typed journeys of bench/llm_usage.py (customers who
never tap), and journeys that tap whenever they can.
Run: python -m bench.interactive_share
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.common import print_table, running_stack, write_results
from bench.llm_usage import JOURNEYS as TYPED_JOURNEYS
from duka_local.simulator import WhatsAppSimulator
from tests.journeys import create_demo_boutique, customer_phone, red_dress_photo

# ("say", text) types a message; ("tap", title) taps the option whose title starts with it
# on the newest message offering it; ("pay", pin) answers the M-Pesa prompt (not a turn).
TAP_JOURNEYS: list[list[tuple[str, str]]] = [
    [
        ("say", "red dress"),
        ("tap", "Red Bodycon Dress"),
        ("tap", "M"),
        ("tap", "Pay with M-Pesa"),
        ("tap", "Pick up at the shop"),
        ("pay", "1234"),
    ],
    [
        ("say", "hi"),
        ("tap", "Browse"),
        ("tap", "Blue Floral Midi Dress"),
        ("tap", "L"),
        ("tap", "Edit cart"),
        ("say", "checkout"),
        ("tap", "Pick up at the shop"),
        ("pay", "0000"),
        ("tap", "Try again"),
        ("pay", "1234"),
    ],
    [
        ("say", "Habari"),
        ("tap", "Angalia bidhaa"),
        ("tap", "Kitenge Maxi Dress"),
        ("tap", "XL"),
        ("tap", "Lipa kwa M-Pesa"),
        ("say", "niko Rongai stage"),
        ("pay", "1234"),
        ("tap", "Oda yangu"),
    ],
    [("say", "niaje"), ("tap", "Ongea na mtu")],
]


def interactive(phone: WhatsAppSimulator, replies: list[dict[str, Any]]) -> bool:
    return any(phone.choices(r) for r in replies)


def offering(phone: WhatsAppSimulator, seen: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """The newest message with an option of that title: an older one is still there to tap,
    as on a phone ("My order" under the greeting)."""
    for reply in reversed(seen):
        if any(c.title.startswith(title) for c in phone.choices(reply)):
            return reply
    raise AssertionError(f"no option {title!r} in {[r['body'] for r in seen[-3:]]}")


def run_typed(env: dict[str, str], number: str, photo: Path) -> list[bool]:
    turns = []
    for journey in TYPED_JOURNEYS:
        phone = customer_phone(env, number)
        for text in journey:
            phone.send(
                "" if text == "[photo]" else text, photo=photo if text == "[photo]" else None
            )
            turns.append(interactive(phone, phone.wait_for_answer(timeout=30)))
    return turns


def run_tapping(env: dict[str, str], number: str) -> list[bool]:
    from duka_local.sandbox_cli import answer_prompt, pending_prompt

    turns = []
    for journey in TAP_JOURNEYS:
        phone = customer_phone(env, number)
        seen: list[dict[str, Any]] = []  # every message the phone got in this journey
        for kind, value in journey:
            if kind == "pay":
                prompt = pending_prompt(env, phone.customer_number)
                assert prompt is not None, "no M-Pesa prompt"
                answer_prompt(env, prompt["reference"], value)
                seen += phone.wait_for_replies(count=1, timeout=30, settle=0.5)
                continue
            if kind == "say":
                phone.send(value)
            else:
                reply = offering(phone, seen, value)
                titles = [c.title for c in phone.choices(reply)]
                phone.tap(reply, next(n for n, t in enumerate(titles, 1) if t.startswith(value)))
            answer = phone.wait_for_answer(timeout=30)
            seen += answer
            turns.append(interactive(phone, answer))
    return turns


def share(turns: list[bool]) -> float:
    return round(sum(turns) / len(turns), 3) if turns else 0.0


def main() -> None:
    photo = red_dress_photo(Path(tempfile.mkdtemp()))
    with running_stack({"EMBEDDINGS": "local"}) as env:
        shop = create_demo_boutique({"shop": {"pickup": True}})
        typed = run_typed(env, shop["number"], photo)
        tapping = run_tapping(env, shop["number"])
    result = {
        "turns": len(typed) + len(tapping),
        "interactive_share": share(typed + tapping),
        "typed_turns": len(typed),
        "typed_interactive_share": share(typed),
        "tapping_turns": len(tapping),
        "tapping_interactive_share": share(tapping),
    }
    print_table(
        "Journey turns answered with an interactive message", list(result), [list(result.values())]
    )
    print(f"wrote {write_results('interactive_share', {'result': result})}")


if __name__ == "__main__":
    main()
