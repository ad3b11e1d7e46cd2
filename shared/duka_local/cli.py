"""The `duka` command: the local stack, businesses, catalogues, the demo and the chat simulator."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

from duka.catalog.reembed import reembed_products, wait_until_embedded
from duka.dashboard.owners import add_owner
from duka.db.pool import transaction
from duka.db.provision import APP_ROLE, InvalidPassword, provision_app_role
from duka.logs import configure_logging
from duka.phone import normalize_kenyan_phone
from duka.store.businesses import UnknownBusiness, business_id_for_whatsapp, create_business
from duka_local import nlu_training, owner_cli, payments_cli, whatsapp_cli
from duka_local.chat import run_chat
from duka_local.demo.delivery import seed_delivery
from duka_local.demo.images import write_demo_images
from duka_local.sandbox_cli import register as register_sandbox
from duka_local.stack.attach import use_stack_env
from duka_local.stack.stack import Stack

DEMO_NAME = "Nyota Boutique"
DEMO_NUMBER = "+254700111222"
DEMO_OWNER_PHONE = "+254711000999"


def cmd_stack(args: argparse.Namespace) -> int:
    stack = Stack()
    if args.action == "up":
        env = stack.up()
        print(f"stack up: webhooks at {env['WEBHOOK_BASE_URL']}", file=sys.stderr)
        if not args.detach:
            print("Ctrl-C stops it.", file=sys.stderr)
            stack.wait_forever()
    elif args.action == "down":
        stack.down()
    else:
        for key, value in stack.env().items():
            print(f"{key}={value}")
    return 0


def cmd_business_create(args: argparse.Namespace) -> int:
    use_stack_env()
    number = normalize_kenyan_phone(args.whatsapp)
    with transaction() as conn:
        business_id = create_business(
            conn,
            name=args.name,
            whatsapp_number=number,
            phone=normalize_kenyan_phone(args.phone or args.whatsapp),
        )
    print(f"business {args.name} on {number}")
    print(business_id)
    return 0


def cmd_products_import(args: argparse.Namespace) -> int:
    # The catalogue modules pull in google.genai and Pillow (~0.5 s): only the commands that
    # import or re-embed products pay for them, not `duka stack up` or `duka sandbox`.
    from duka.catalog.csv_import import CatalogueInvalid
    from duka.catalog.importer import import_catalogue, progress_printer

    use_stack_env()
    try:
        ids = import_catalogue(
            Path(args.file),
            normalize_kenyan_phone(args.business),
            wait=args.wait,
            progress=progress_printer(),
        )
    except CatalogueInvalid as exc:
        for error in exc.errors:
            print(f"{args.file}: {error}", file=sys.stderr)
        print("nothing imported", file=sys.stderr)
        return 1
    except UnknownBusiness as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"imported {len(ids)} products" + (" (searchable)" if args.wait else ""))
    return 0


def cmd_products_reembed(args: argparse.Namespace) -> int:
    # Lazy for the same reason as in cmd_products_import.
    from duka.catalog.search import active_embedding_model

    use_stack_env()
    business_id = None
    if args.business:
        with transaction() as conn:
            business_id = business_id_for_whatsapp(conn, normalize_kenyan_phone(args.business))
    model = active_embedding_model()
    count = reembed_products(model, business_id=business_id)
    print(f"re-embedding {count} products with {model}")
    if args.wait:
        wait_until_embedded(model, business_id=business_id)
        print("done")
    return 0


def cmd_db_provision_app_role(args: argparse.Namespace) -> int:
    admin_url = args.admin_url or os.environ.get("DATABASE_URL")
    if not admin_url:
        print("set DATABASE_URL (or --admin-url) to the owner's connection URL", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    try:
        result = provision_app_role(admin_url, password=password, rotate=args.rotate)
    except InvalidPassword as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if result.url is None:
        print(
            f"{APP_ROLE} can already log in; its password is unchanged (--rotate sets a new one)",
            file=sys.stderr,
        )
        return 0
    print(f"{APP_ROLE} {result.status}; the database-url secret is this URL:", file=sys.stderr)
    print(result.url)
    return 0


def seed_demo() -> None:
    demo_dir = Path(__file__).parent / "demo"
    csv_path = demo_dir / "catalogue.csv"
    with csv_path.open() as handle:
        rows = [(row["sku"], row["colors"].split(";")) for row in csv.DictReader(handle)]
    write_demo_images(demo_dir / "images", rows)
    cmd_business_create(
        argparse.Namespace(name=DEMO_NAME, whatsapp=DEMO_NUMBER, phone=DEMO_OWNER_PHONE)
    )
    cmd_products_import(argparse.Namespace(file=str(csv_path), business=DEMO_NUMBER, wait=True))
    add_owner(DEMO_NUMBER, DEMO_OWNER_PHONE)
    with transaction() as conn:
        business_id = business_id_for_whatsapp(conn, DEMO_NUMBER)
    assert business_id is not None  # created just above
    seed_delivery(business_id)
    print(
        f"dashboard: sign in at {os.environ['WEBHOOK_BASE_URL']}/dashboard/ as {DEMO_OWNER_PHONE}"
    )


def cmd_seed(args: argparse.Namespace) -> int:
    seed_demo()
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    env = use_stack_env()
    return run_chat(env, business_number=args.business, customer_number=args.customer)


def cmd_demo(args: argparse.Namespace) -> int:
    stack = Stack()
    stack.up()
    try:
        seed_demo()
        return cmd_chat(argparse.Namespace(business=DEMO_NUMBER, customer=args.customer))
    finally:
        if not args.keep:
            stack.down()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="duka", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    stack = sub.add_parser("stack", help="the local stack")
    stack.add_argument("action", choices=["up", "down", "env"])
    stack.add_argument("--detach", action="store_true", help="return once everything is healthy")
    stack.set_defaults(func=cmd_stack)

    business = sub.add_parser("business", help="businesses").add_subparsers(
        dest="action", required=True
    )
    create = business.add_parser("create", help="create a business")
    create.add_argument("--name", required=True)
    create.add_argument("--whatsapp", required=True, help="the WhatsApp number customers write to")
    create.add_argument("--phone", help="the owner's own number (defaults to --whatsapp)")
    create.set_defaults(func=cmd_business_create)

    products = sub.add_parser("products", help="catalogue").add_subparsers(
        dest="action", required=True
    )
    importer = products.add_parser("import", help="import a catalogue CSV")
    importer.add_argument("file")
    importer.add_argument("--business", required=True, help="the business's WhatsApp number")
    importer.add_argument("--wait", action="store_true", help="return once searchable")
    importer.set_defaults(func=cmd_products_import)

    reembed = products.add_parser("reembed", help="re-embed with the active embedding model")
    reembed.add_argument("--business", help="only this business (WhatsApp number)")
    reembed.add_argument("--wait", action="store_true", help="return once all are embedded")
    reembed.set_defaults(func=cmd_products_reembed)

    db = sub.add_parser("db", help="database administration").add_subparsers(
        dest="action", required=True
    )
    provision = db.add_parser(
        "provision-app-role",
        help="migrate as the owner, give duka_app a login, print its URL for database-url",
    )
    provision.add_argument("--admin-url", help="the owner's URL (default: DATABASE_URL)")
    provision.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    provision.add_argument(
        "--rotate", action="store_true", help="set a new password if duka_app can log in"
    )
    provision.set_defaults(func=cmd_db_provision_app_role)

    seed = sub.add_parser("seed", help="demo data")
    seed.add_argument("what", choices=["demo"])
    seed.set_defaults(func=cmd_seed)

    chat = sub.add_parser("chat", help="WhatsApp simulator in the terminal")
    chat.add_argument("--business", default=DEMO_NUMBER)
    chat.add_argument("--customer", default="+254700000001")
    chat.set_defaults(func=cmd_chat)

    register_sandbox(sub)
    owner_cli.register(sub)
    payments_cli.register(sub)
    whatsapp_cli.register(sub)
    nlu_training.register(sub)

    demo = sub.add_parser("demo", help="stack + demo boutique + chat (the quick start)")
    demo.add_argument("--customer", default="+254700000001")
    demo.add_argument("--keep", action="store_true", help="leave the stack running afterwards")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging("WARNING")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
