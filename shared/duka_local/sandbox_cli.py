"""`duka sandbox mpesa ...`: play the customer's side of an M-Pesa prompt on the local stack.

The chat simulator uses `pending_prompt` and `answer_prompt` to show the prompt and take a PIN.
Only loopback sandboxes are ever called: a real gateway has no such control API.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from duka.orders.push import account_reference
from duka.phone import InvalidPhoneNumber, to_msisdn
from duka_local.stack.stack import Stack

ACTIONS = ("approve", "decline", "cancel", "timeout")
CORRECT_PIN = "1234"
_SANDBOX_URL_KEYS = {"paylink": "PAYLINK_BASE_URL", "daraja": "DARAJA_BASE_URL"}


class SandboxError(RuntimeError):
    """The local sandbox could not do it (unknown reference, already answered, not running)."""


def _sandboxes(env: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for gateway, key in _SANDBOX_URL_KEYS.items():
        url = env.get(key, "")
        if url and urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1"):
            found[gateway] = url.rstrip("/")
    if not found:
        raise SandboxError("no local payment sandbox: start the stack with `duka stack up`")
    return found


def _msisdn(phone: str) -> str | None:
    try:
        return to_msisdn(phone)
    except InvalidPhoneNumber:
        return None


def pending_prompt(env: Mapping[str, str], customer_phone: str) -> dict[str, Any] | None:
    """The newest unanswered M-Pesa prompt on this customer's phone, or None."""
    wanted = _msisdn(customer_phone)
    newest: dict[str, Any] | None = None
    for gateway, url in _sandboxes(env).items():
        try:
            pushes = httpx.get(f"{url}/_sandbox/pushes", timeout=5).json()["pushes"]
        except (httpx.HTTPError, ValueError, KeyError):
            continue
        for push in pushes:
            if push["status"] == "pending" and _msisdn(str(push["phone"])) == wanted:
                newest = {
                    "gateway": gateway,
                    "reference": push["checkout_request_id"],
                    "amount_kes": push["amount_kes"],
                    "text": f"M-Pesa: pay KES {push['amount_kes']:,} for order "
                    f"{account_reference(push['order_reference'])}? Enter your M-Pesa PIN "
                    f"(sandbox PIN {CORRECT_PIN}) or type cancel.",
                }
    return newest


def answer_prompt(env: Mapping[str, str], reference: str, pin_or_cancel: str) -> str:
    """Answer a prompt as the customer: the right PIN pays, a wrong one fails with M-Pesa's
    wrong-PIN code (2001), "cancel" cancels (1032). Returns the action taken."""
    typed = pin_or_cancel.strip().lower()
    action = "cancel" if typed == "cancel" else "approve" if typed == CORRECT_PIN else "decline"
    answer(env, reference, action)
    return action


def answer(
    env: Mapping[str, str], reference: str, action: str, *, lose_callback: bool = False
) -> dict[str, Any]:
    """Make the simulated customer act on the push `reference` names; returns the push."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}")
    for url in _sandboxes(env).values():
        try:
            response = httpx.post(
                f"{url}/_sandbox/pushes/{quote(reference, safe='')}/{action}",
                json={"lose_callback": lose_callback},
                timeout=30,
            )
        except httpx.HTTPError:
            continue
        if response.status_code == 404:
            continue
        if response.status_code != 200:
            raise SandboxError(response.json().get("error", response.text))
        push: dict[str, Any] = response.json()["push"]
        return push
    raise SandboxError(f"no M-Pesa prompt with reference {reference!r}")


def pay_till(
    env: Mapping[str, str],
    *,
    shortcode: str,
    amount_kes: int,
    phone: str,
    account: str | None = None,
    name: str | None = None,
    language: str = "en",
    lose_confirmation: bool = False,
) -> dict[str, Any]:
    """The customer pays a Till or Paybill from her phone (Daraja sandbox): its receipt and the
    confirmation SMS she gets (duka_local.sandboxes.daraja_c2b_sandbox)."""
    url = _sandboxes(env).get("daraja")
    if url is None:
        raise SandboxError("no local Daraja sandbox: start the stack with `duka stack up`")
    body = {
        "shortcode": shortcode,
        "amount": amount_kes,
        "phone": phone,
        "account": account,
        "name": name,
        "language": language,
        "lose_confirmation": lose_confirmation,
    }
    response = httpx.post(f"{url}/_sandbox/c2b/pay", json=body, timeout=60)
    if response.status_code != 200:
        raise SandboxError(response.text)
    paid: dict[str, Any] = response.json()
    return paid


def cmd_pay_till(args: argparse.Namespace) -> int:
    env: Mapping[str, str] = os.environ
    if not any(key in env for key in _SANDBOX_URL_KEYS.values()):
        env = Stack().env()
    try:
        paid = pay_till(
            env,
            shortcode=args.shortcode,
            amount_kes=args.amount,
            phone=args.phone,
            account=args.account,
            lose_confirmation=args.lose_confirmation,
        )
    except SandboxError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(paid["sms"])
    return 0


def cmd_mpesa(args: argparse.Namespace) -> int:
    env: Mapping[str, str] = os.environ
    if not any(key in env for key in _SANDBOX_URL_KEYS.values()):
        env = Stack().env()
    try:
        push = answer(env, args.reference, args.action, lose_callback=args.lose_callback)
    except SandboxError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    outcome = "paid" if push["status"] == "success" else f"failed ({push['reason']})"
    lost = " — callback withheld; the reconciler will find it" if args.lose_callback else ""
    print(f"{push['checkout_request_id']}: KES {push['amount_kes']:,} {outcome}{lost}")
    return 0


def register(subparsers: Any) -> None:
    """Add `duka sandbox mpesa ACTION REFERENCE [--lose-callback]` to the CLI."""
    sandbox = subparsers.add_parser("sandbox", help="the local payment sandboxes")
    kinds = sandbox.add_subparsers(dest="sandbox", required=True)
    mpesa = kinds.add_parser("mpesa", help="answer an M-Pesa prompt as the customer")
    mpesa.add_argument("action", choices=ACTIONS)
    mpesa.add_argument("reference", help="mpesa_reference, checkout request id or order id")
    mpesa.add_argument(
        "--lose-callback", action="store_true", help="record the outcome but send no callback"
    )
    mpesa.set_defaults(func=cmd_mpesa)
    till = kinds.add_parser("pay-till", help="pay a Till or Paybill as a customer (Daraja)")
    till.add_argument("shortcode", help="the Till or Paybill number")
    till.add_argument("amount", type=int, help="whole shillings")
    till.add_argument("phone", help="the paying phone, e.g. 0712345678")
    till.add_argument("--account", help="the account typed (Paybill): the order reference")
    till.add_argument(
        "--lose-confirmation",
        action="store_true",
        help="send no C2B confirmation: only Transaction Status can find the payment",
    )
    till.set_defaults(func=cmd_pay_till)
