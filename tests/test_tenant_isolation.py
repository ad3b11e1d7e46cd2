"""Row Level Security: the application role sees one business's rows, or none."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.conftest import random_kenyan_number

TENANT_TABLES = [
    "pickup_points",  # 035_delivery_options
    "delivery_quotes",
    "customers",
    "conversations",
    "messages",
    "products",
    "orders",
    "order_items",
    "agent_memories",
    "outbox",
    "payment_attempts",
    "product_stock",
    "stock_reservations",
    "business_owners",
    "owner_sessions",
    "shop_answers",
    "owner_questions",
    "consent_events",
    "message_statuses",
    "payments",
    "payment_claims",
    "refunds",
    "returned_goods",
    "stock_alerts",
    "follow_ups",
    "sales_touches",
    "size_choices",
    "broadcasts",
    "broadcast_recipients",
    "saved_replies",
    "customer_tags",
    "customer_notes",
    "audit_log",
    "demand_signals",
    "privacy_requests",
]
# Tenant tables the application role has no privilege on: definer functions reach them.
DEFINER_ONLY_TABLES = ["owner_sessions"]


@pytest.fixture()
def two_boutiques(stack, boutique) -> tuple[dict[str, str], dict[str, str]]:
    from duka.catalog.importer import import_catalogue
    from duka.db.pool import transaction
    from duka.store.businesses import create_business

    number = random_kenyan_number()
    with transaction() as conn:
        other_id = create_business(conn, name="Other Boutique", whatsapp_number=number)
    from pathlib import Path

    import_catalogue(Path(__file__).parent / "data" / "small_catalogue.csv", number)
    return boutique, {"id": other_id, "number": number}


def app_connection(stack: dict[str, str]) -> psycopg.Connection[Any]:
    return psycopg.connect(stack["APP_DATABASE_URL"], row_factory=dict_row)


def test_app_role_cannot_bypass_rls(stack):
    with app_connection(stack) as conn:
        role = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    assert role == {"rolsuper": False, "rolbypassrls": False}


def test_every_table_with_business_id_has_forced_rls_and_a_policy(admin_db):
    tables = admin_db.execute(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
        " (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) AS policies"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS ("
        "   SELECT 1 FROM information_schema.columns col WHERE col.table_name = c.relname"
        "   AND col.column_name = 'business_id')"
    ).fetchall()
    assert sorted(t["relname"] for t in tables) == sorted(TENANT_TABLES)
    for table in tables:
        assert table["relrowsecurity"] and table["relforcerowsecurity"], table["relname"]
        assert table["policies"] >= 1, table["relname"]


def test_hand_written_query_sees_only_the_tenant_set_in_the_transaction(stack, two_boutiques):
    mine, other = two_boutiques
    with app_connection(stack) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.business_id', %s, true)", (mine["id"],))
        products = conn.execute("SELECT business_id FROM products").fetchall()
        businesses = conn.execute("SELECT id FROM businesses").fetchall()
        leaked = conn.execute(
            "SELECT count(*) AS n FROM products WHERE business_id = %s", (other["id"],)
        ).fetchone()
    assert products and {str(p["business_id"]) for p in products} == {mine["id"]}
    assert [str(b["id"]) for b in businesses] == [mine["id"]]
    assert leaked["n"] == 0


def test_without_a_tenant_the_app_role_sees_nothing(stack, two_boutiques):
    with app_connection(stack) as conn:
        for table in TENANT_TABLES + ["businesses"]:
            if table in DEFINER_ONLY_TABLES:
                continue
            count = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"]
            assert count == 0, table


def test_the_app_role_cannot_touch_definer_only_tables(stack):
    with app_connection(stack) as conn:
        for table in DEFINER_ONLY_TABLES:
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(f"SELECT count(*) FROM {table}")


def test_app_role_cannot_write_into_another_business(stack, two_boutiques):
    mine, other = two_boutiques
    with app_connection(stack) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SELECT set_config('app.business_id', %s, true)", (mine["id"],))
            conn.execute(
                "INSERT INTO products (business_id, sku, name, price) VALUES (%s, 'X', 'X', 1)",
                (other["id"],),
            )
        with conn.transaction():
            conn.execute("SELECT set_config('app.business_id', %s, true)", (mine["id"],))
            updated = conn.execute(
                "UPDATE products SET price = 1 WHERE business_id = %s", (other["id"],)
            ).rowcount
        assert updated == 0
