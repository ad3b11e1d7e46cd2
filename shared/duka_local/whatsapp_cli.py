"""`duka whatsapp templates sync`: register the WhatsApp templates with Twilio's Content API.

Run once per deployment (and again after a template's wording changes): against the local
stack by default, or the deployment the environment names (DATABASE_URL, TWILIO_*).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from duka.db.pool import transaction
from duka.errors import Rejected, Transient
from duka.whatsapp_content import sync_templates
from duka_local.stack.attach import use_stack_env


def cmd_templates_sync(args: argparse.Namespace) -> int:
    use_stack_env()
    try:
        with transaction() as conn:
            done = sync_templates(conn)
    except (Rejected, Transient) as exc:
        print(f"templates not synced: {exc}", file=sys.stderr)
        return 1
    for friendly_name, sid, action in done:
        print(f"{action:8} {friendly_name:32} {sid}")
    return 0


def register(subparsers: Any) -> None:
    """Add the `whatsapp` command to the `duka` parser's subcommands."""
    whatsapp = subparsers.add_parser("whatsapp", help="WhatsApp (Twilio) setup").add_subparsers(
        dest="area", required=True
    )
    templates = whatsapp.add_parser("templates", help="message templates").add_subparsers(
        dest="action", required=True
    )
    sync = templates.add_parser(
        "sync", help="create or update the templates at Twilio and record their ContentSids"
    )
    sync.set_defaults(func=cmd_templates_sync)
