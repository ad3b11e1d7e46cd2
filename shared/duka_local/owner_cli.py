"""`duka owner add --business +2547… --phone +2547…`: grant dashboard access to a phone."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from duka.dashboard.owners import add_owner
from duka.phone import InvalidPhoneNumber, normalize_kenyan_phone
from duka.store.businesses import UnknownBusiness
from duka_local.stack.attach import use_stack_env


def cmd_owner_add(args: argparse.Namespace) -> int:
    use_stack_env()
    try:
        business = normalize_kenyan_phone(args.business)
        phone = normalize_kenyan_phone(args.phone)
    except InvalidPhoneNumber as exc:
        print(f"{exc.raw}: {exc}", file=sys.stderr)
        return 2
    try:
        business_id = add_owner(business, phone)
    except UnknownBusiness as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"{phone} can now sign in to the dashboard of {business} (business {business_id})")
    return 0


def register(subparsers: Any) -> None:
    """Add the `owner` command to the `duka` parser's subcommands."""
    owner = subparsers.add_parser("owner", help="dashboard access").add_subparsers(
        dest="action", required=True
    )
    add = owner.add_parser("add", help="let a phone sign in to a boutique's dashboard")
    add.add_argument("--business", required=True, help="the boutique's WhatsApp number")
    add.add_argument("--phone", required=True, help="the owner's own WhatsApp number")
    add.set_defaults(func=cmd_owner_add)
