"""Guarantee 5: one boutique can never read or change another's rows.

Enumerates the schema (every table, every definer function), every repository function and
every dashboard route, so a new one without an isolation check fails here until it has one.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from flask import Flask
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from duka.broadcasts import audience as broadcast_audience
from duka.broadcasts import limits as broadcast_limits
from duka.broadcasts import report as broadcast_report
from duka.broadcasts import store as broadcast_store
from duka.dashboard.formatting import NAIROBI
from duka.orders import attribution, follow_ups, ledger, reconciliation, reservations
from duka.orders import store as order_store
from duka.store import (
    businesses,
    consent,
    conversations,
    message_status,
    messages,
    outbox,
    products,
    shop_knowledge,
)
from tests.dashboard_helpers import (
    OwnerClient,
    add_conversation,
    add_order,
    add_product,
    create_owned_boutique,
    sandbox_messages,
)

MARKER = "Kibanda-Secret"  # in every text of the other boutique: it must never show up
THEIR_SID = "SMtheirs0000000000000000000000000"  # Twilio's SID of their (pending) reply
# Tables whose rows belong to no tenant, and why the application role cannot misuse them.
NON_TENANT_TABLES = {
    "businesses": "RLS on its own id: a transaction sees only the business it is scoped to",
    "owner_login_codes": "RLS forced with no policy: only definer functions read it",
    "login_attempts": "RLS forced with no policy: only definer functions count it",
    "schema_migrations": "no privileges for the application role",
    "whatsapp_contents": "platform Twilio content SIDs: the app reads, a definer function writes",
}
# Cross-tenant lookups the webhook, relays and sign-in need; each returns ids or counts only.
DEFINER_FUNCTIONS = {
    "business_id_for_whatsapp",
    "outbox_pending",
    "outbox_mark_published",
    "unanswered_inbound",
    "products_not_embedded_with",
    "order_tenant_by_reference",
    "payment_orders_due",
    "layaway_orders_due",
    "layaway_prompts_due",
    "stock_alerts_due",
    "follow_ups_due",
    "broadcasts_unfinished",
    "undelivered_outbound",
    "owner_businesses",
    "owner_login_request",
    "owner_login_code_store",
    "owner_login_verify",
    "login_attempts_lock",
    "login_attempts_count",
    "owner_session_create",
    "owner_session_load",
    "owner_session_save",
    "owner_session_revoke",
    "owner_session_revoke_everywhere",
    "owner_sessions_revoke_removed_owner",
    "stk_pushes_to_phone",
    "whatsapp_content_record",
    "audit_log_forget_phone",
    "privacy_retention_due",
    "privacy_deletions_replying",
}
REPOSITORY_MODULES = (
    businesses,
    conversations,
    messages,
    outbox,
    products,
    order_store,
    reservations,
    shop_knowledge,
    consent,
    message_status,
    ledger,
    reconciliation,
    attribution,
    follow_ups,
    broadcast_store,
    broadcast_limits,
    broadcast_audience,
    broadcast_report,
)


@dataclass(frozen=True)
class Theirs:
    business: str
    number: str
    conversation: str
    customer_phone: str
    inbound: str
    outbound: str
    product: str
    order: str
    attempt: str
    question: str  # an open question left to their owner
    shop_answer: str  # one of their question/answer pairs
    broadcast: str  # a stopped broadcast, to that customer

    def markers(self) -> list[str]:
        """Strings that identify their data anywhere (ids, the customer's number, texts)."""
        return [
            MARKER,
            self.conversation,
            self.customer_phone,
            self.inbound,
            self.outbound,
            self.product,
            self.order,
            self.attempt,
            self.question,
            self.shop_answer,
            self.broadcast,
        ]


@pytest.fixture(scope="module")
def admin_conn(stack: dict[str, str]) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with psycopg.connect(stack["DATABASE_URL"], autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture(scope="module")
def mine(admin_conn: Any) -> Any:
    return create_owned_boutique(admin_conn, name="Amani Styles")


@pytest.fixture(scope="module")
def theirs(admin_conn: Any) -> Theirs:
    """Another boutique with one of everything: chat, pending reply, product with stock per
    size, open order, a question left to the owner and a question/answer pair."""
    shop = create_owned_boutique(admin_conn, name=f"{MARKER} Boutique")
    conversation = add_conversation(
        admin_conn, shop.id, name=f"{MARKER} Customer", messages=[("customer", f"{MARKER} ask")]
    )
    inbound = admin_conn.execute(
        "SELECT id FROM messages WHERE conversation_id = %s", (conversation,)
    ).fetchone()["id"]
    outbound = admin_conn.execute(
        "INSERT INTO messages (business_id, conversation_id, role, content, delivery_status,"
        " external_id) VALUES (%s, %s, 'agent', %s, 'pending', %s) RETURNING id",
        (shop.id, conversation, f"{MARKER} reply", THEIR_SID),
    ).fetchone()["id"]
    admin_conn.execute(
        "INSERT INTO message_statuses (business_id, message_id, status, rank)"
        " VALUES (%s, %s, 'delivered', 2)",
        (shop.id, outbound),
    )
    product = add_product(admin_conn, shop.id, sku="KB-1", name=f"{MARKER} Kitenge")
    order = add_order(
        admin_conn,
        shop.id,
        conversation,
        lines=[(product, f"{MARKER} Kitenge", "M", 1, 3000)],
        status="pending",
    )
    attempt = admin_conn.execute(
        "INSERT INTO payment_attempts (business_id, order_id, attempt, idempotency_key, gateway,"
        " pay_phone, amount, checkout_request_id, mpesa_reference) VALUES"
        " (%s, %s, 1, 'their-key', 'paylink', '+254700000999', 3000, 'ws_CO_theirs', 'MPXTHEIRS')"
        " RETURNING id",
        (shop.id, order),
    ).fetchone()["id"]
    admin_conn.execute(  # today's payment, on the payments page and in the day's report
        "INSERT INTO payments (business_id, order_id, attempt_id, gateway, receipt, amount,"
        " payer_phone_masked, matched_by) VALUES (%s, %s, %s, 'paylink', %s, 3000,"
        " '+254******999', 'stk_push')",
        (shop.id, order, attempt, f"{MARKER}-QRCPT"),
    )
    admin_conn.execute(
        "INSERT INTO product_stock (business_id, product_id, size, stock) VALUES (%s, %s, %s, 5)",
        (shop.id, product, f"{MARKER} M"),
    )
    admin_conn.execute(
        "INSERT INTO stock_reservations (business_id, order_id, attempt, product_id, quantity)"
        " VALUES (%s, %s, 1, %s, 1)",
        (shop.id, order, product),
    )
    admin_conn.execute(
        "INSERT INTO outbox (business_id, topic, payload, published_at)"
        " VALUES (%s, 'payment-events', %s, now())",
        (shop.id, Jsonb({"note": MARKER})),
    )
    phone = admin_conn.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (conversation,)
    ).fetchone()["customer_phone"]
    question = admin_conn.execute(
        "INSERT INTO owner_questions (business_id, conversation_id, customer_phone, question,"
        " topic) VALUES (%s, %s, %s, %s, 'pickup') RETURNING id",
        (shop.id, conversation, phone, f"{MARKER} where do I pick up?"),
    ).fetchone()["id"]
    admin_conn.execute(
        "INSERT INTO consent_events (business_id, customer_phone, kind, source, message_id)"
        " VALUES (%s, %s, 'opt_out', 'chat_keyword', %s)",
        (shop.id, phone, inbound),
    )
    shop_answer = admin_conn.execute(
        "INSERT INTO shop_answers (business_id, question, phrasings, answer_en, answer_sw)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (shop.id, f"{MARKER} hours?", [f"{MARKER} open"], f"{MARKER} 9-5", f"{MARKER} saa 3-11"),
    ).fetchone()["id"]
    return Theirs(
        shop.id,
        shop.number,
        conversation,
        phone,
        str(inbound),
        str(outbound),
        product,
        order,
        str(attempt),
        str(question),
        str(shop_answer),
        _their_broadcast(admin_conn, shop.id, conversation, phone, product),
    )


def _their_broadcast(
    admin_conn: Any, business: str, conversation: str, phone: str, product: str
) -> str:
    # Stopped, so the stack's own `broadcasts` job leaves it (and the snapshot) alone; a
    # stop or report from another boutique must still find nothing.
    broadcast = admin_conn.execute(
        "INSERT INTO broadcasts (business_id, title, product_ids, status, finished_at)"
        " VALUES (%s, %s, %s::uuid[], 'cancelled', now()) RETURNING id",
        (business, f"{MARKER} sale", [product]),
    ).fetchone()["id"]
    admin_conn.execute(
        "INSERT INTO broadcast_recipients (broadcast_id, business_id, customer_phone,"
        " conversation_id) VALUES (%s, %s, %s, %s)",
        (broadcast, business, phone, conversation),
    )
    return str(broadcast)


def tenant_tables(admin_conn: Any) -> list[str]:
    rows = admin_conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_attribute a"
        "   WHERE a.attrelid = c.oid AND a.attname = 'business_id' AND NOT a.attisdropped)"
        " ORDER BY 1"
    ).fetchall()
    return [row["relname"] for row in rows]


def snapshot(admin_conn: Any, theirs: Theirs) -> dict[str, Any]:
    """Every row of theirs, in every tenant table, plus their business row."""
    rows = {
        table: admin_conn.execute(
            f"SELECT * FROM {table} WHERE business_id = %s ORDER BY 1, 2", (theirs.business,)
        ).fetchall()
        for table in tenant_tables(admin_conn)
    }
    rows["businesses"] = admin_conn.execute(
        "SELECT * FROM businesses WHERE id = %s", (theirs.business,)
    ).fetchall()
    return rows


# --- the schema ------------------------------------------------------------------------------


def test_every_table_is_either_tenant_scoped_by_forced_rls_or_explained(admin_conn):
    tables = admin_conn.execute(
        "SELECT c.relname, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,"
        " EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
        "   AND a.attname = 'business_id' AND NOT a.attisdropped) AS tenant,"
        " (SELECT array_agg(p.polname || ':' || p.polcmd::text || ':'"
        "   || pg_get_expr(p.polqual, p.polrelid) || ':'"
        "   || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''))"
        "   FROM pg_policy p WHERE p.polrelid = c.oid) AS policies"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
    ).fetchall()

    unexplained = [
        t["relname"] for t in tables if not t["tenant"] and t["relname"] not in NON_TENANT_TABLES
    ]
    assert unexplained == [], "new tables need business_id + RLS, or an entry explaining them"
    for table in tables:
        if table["relname"] == "schema_migrations":
            continue
        assert table["rls"] and table["forced"], table["relname"]
        if table["tenant"]:
            expected = (
                "tenant_isolation:*:(business_id = app_business_id()):"
                "(business_id = app_business_id())"
            )
            assert table["policies"] == [expected], table["relname"]


def test_the_application_role_cannot_bypass_rls_by_any_door(stack, admin_conn):
    role = admin_conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles"
        " WHERE rolname = 'duka_app'"
    ).fetchone()
    owned = admin_conn.execute(
        "SELECT count(*) AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
        " WHERE r.rolname = 'duka_app'"
    ).fetchone()["n"]
    memberships = admin_conn.execute(
        "SELECT count(*) AS n FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member"
        " WHERE r.rolname = 'duka_app'"
    ).fetchone()["n"]

    assert not any(role.values()) and owned == 0 and memberships == 0
    escapes = [
        "ALTER TABLE products DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE products NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY tenant_isolation ON products",
        "SET ROLE postgres",
        "SET session_replication_role = replica",
        "SELECT * FROM owner_login_codes",
        "SELECT * FROM owner_sessions",
        "SELECT * FROM login_attempts",
        "INSERT INTO schema_migrations (version) VALUES ('x')",
        "DELETE FROM whatsapp_contents",
        "CREATE FUNCTION leak() RETURNS SETOF products LANGUAGE sql SECURITY DEFINER"
        " AS 'SELECT * FROM products'",
    ]
    with psycopg.connect(stack["APP_DATABASE_URL"], autocommit=True) as app:
        allowed = [statement for statement in escapes if not refused(app, statement)]
    assert allowed == []


def refused(conn: psycopg.Connection[Any], statement: str) -> bool:
    try:
        cursor = conn.execute(statement)
    except psycopg.Error:
        return True
    return statement.startswith("SELECT") and cursor.fetchall() == []


def test_every_definer_function_is_known_pinned_to_a_search_path_and_not_public(admin_conn):
    functions = admin_conn.execute(
        "SELECT p.proname, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE')"
        " AS public_can_run FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public' AND p.prosecdef"
    ).fetchall()

    assert {f["proname"] for f in functions} == DEFINER_FUNCTIONS
    for function in functions:
        assert any(c.startswith("search_path=") for c in function["proconfig"] or []), function
        assert not function["public_can_run"], function["proname"]


def test_no_row_points_at_another_tenants_row(admin_conn):
    """Every foreign key between tenant tables joins rows of one business."""
    keys = admin_conn.execute(
        "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent,"
        " a.attname AS child_col, b.attname AS parent_col"
        " FROM pg_constraint c"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
        " JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = c.confkey[1]"
        " WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1"
    ).fetchall()
    tenant = set(tenant_tables(admin_conn))
    checked = 0
    for key in keys:
        if key["child"] in tenant and key["parent"] in tenant:
            mismatched = admin_conn.execute(
                f"SELECT count(*) AS n FROM {key['child']} x JOIN {key['parent']} y"
                f" ON y.{key['parent_col']} = x.{key['child_col']}"
                " WHERE x.business_id <> y.business_id"
            ).fetchone()["n"]
            assert mismatched == 0, key
            checked += 1
    assert checked >= 10


# --- every repository function ---------------------------------------------------------------

Probe = Callable[[Any, Theirs, str], Any]  # (connection scoped to mine, theirs, my id) -> result

AUDIENCE = broadcast_audience.Audience()
INDEX_ENTRY = products.IndexEntry("hijack", ["hijack"], "hash", None, "none", None)
NOW = datetime.now(UTC)

PROBES: dict[str, Probe] = {
    # businesses
    "create_business": lambda c, t, m: businesses.create_business(
        c, name="Hijack", whatsapp_number=t.number
    ),
    "business_id_for_whatsapp": lambda c, t, m: businesses.business_id_for_whatsapp(c, "+1"),
    "require_business_id_for_whatsapp": lambda c, t, m: businesses.require_business_id_for_whatsapp(
        c, t.number
    ),
    "enter_business_by_whatsapp": lambda c, t, m: businesses.enter_business_by_whatsapp(c, "+1"),
    "get_business": lambda c, t, m: businesses.get_business(c, t.business),
    "replace_settings_section": lambda c, t, m: businesses.replace_settings_section(
        c, t.business, "profile", {"hijacked": True}
    ),
    # conversations
    "get_or_create_conversation": lambda c, t, m: conversations.get_or_create_conversation(
        c, t.business, t.customer_phone, "Hijack"
    ),
    "lock_conversation": lambda c, t, m: conversations.lock_conversation(c, t.conversation),
    "last_message_from": lambda c, t, m: conversations.last_message_from(
        c, t.business, t.customer_phone
    ),
    "note_customer_activity": lambda c, t, m: conversations.note_customer_activity(
        c, t.conversation, {"created_at": NOW, "metadata": {"profile_name": "Hijack"}}
    ),
    "save_metadata": lambda c, t, m: conversations.save_metadata(c, t.conversation, {"x": 1}),
    "reply_language": lambda c, t, m: conversations.reply_language(c, t.conversation),
    "set_status": lambda c, t, m: conversations.set_status(c, t.conversation, "closed"),
    # messages
    "insert_inbound": lambda c, t, m: messages.insert_inbound(
        c,
        business_id=t.business,
        conversation_id=t.conversation,
        external_id="SMhijack",
        content="x",
        attachments=[],
        profile_name=None,
    ),
    "get_message": lambda c, t, m: messages.get_message(c, t.inbound),
    "unanswered_inbound": lambda c, t, m: messages.unanswered_inbound(c, t.conversation),
    "recent_messages": lambda c, t, m: messages.recent_messages(c, t.conversation),
    "insert_outbound_intent": lambda c, t, m: messages.insert_outbound_intent(
        c, business_id=t.business, conversation_id=t.conversation, content="x", answers=[t.inbound]
    ),
    "pending_outbound": lambda c, t, m: messages.pending_outbound(c, t.conversation),
    "record_send_attempt": lambda c, t, m: messages.record_send_attempt(c, t.outbound),
    "sent_external_ids": lambda c, t, m: messages.sent_external_ids(c, t.conversation),
    "mark_sent": lambda c, t, m: messages.mark_sent(c, t.outbound, "SMx", 1.0),
    "mark_failed": lambda c, t, m: messages.mark_failed(c, t.outbound, "x"),
    "mark_dead_lettered": lambda c, t, m: messages.mark_dead_lettered(c, t.inbound),
    "flag_for_owner": lambda c, t, m: messages.flag_for_owner(c, t.conversation, "x"),
    "customer_messages_before": lambda c, t, m: messages.customer_messages_before(
        c, t.conversation, NOW, 86400
    ),
    "business_customer_messages_before": lambda c, t, m: messages.business_customer_messages_before(
        c, t.business, NOW, 86400, per_sender=20
    ),
    "answer_silently": lambda c, t, m: messages.answer_silently(c, [t.inbound], t.outbound),
    "set_transcript": lambda c, t, m: messages.set_transcript(c, t.inbound, "hijack"),
    # outbox
    "enqueue": lambda c, t, m: outbox.enqueue(c, t.business, "payment-events", {"x": 1}),
    "pending": lambda c, t, m: outbox.pending(c),
    "mark_published": lambda c, t, m: outbox.mark_published(c, []),
    # products
    "upsert_products": lambda c, t, m: products.upsert_products(
        c, t.business, [products.ProductInput("KB-1", "Hijack", Decimal(1), 0)]
    ),
    "get_product": lambda c, t, m: products.get_product(c, t.product),
    "save_index": lambda c, t, m: products.save_index(c, t.product, NOW, INDEX_ENTRY),
    "mark_indexed": lambda c, t, m: products.mark_indexed(c, t.product, NOW),
    "count_unindexed": lambda c, t, m: products.count_unindexed(c, [t.product]),
    "keyword_search": lambda c, t, m: products.keyword_search(c, [MARKER.lower(), "kitenge"]),
    "products_by_stock": lambda c, t, m: products.products_by_stock(
        c, t.business, in_stock=True, category="dress"
    ),
    "size_stock": lambda c, t, m: products.size_stock(c, t.product),
    # orders
    "insert_order": lambda c, t, m: order_store.insert_order(
        c,
        business_id=t.business,
        conversation_id=t.conversation,
        customer_phone=t.customer_phone,
        items=[],
        amount=1,
        delivery_info={},
        gateway="paylink",
        pay_phone=t.customer_phone,
        expires_at=NOW,
    ),
    "retry_order": lambda c, t, m: order_store.retry_order(
        c, t.order, gateway="paylink", pay_phone="+254700000001", expires_at=NOW
    ),
    "insert_attempt": lambda c, t, m: order_store.insert_attempt(
        c,
        business_id=t.business,
        order_id=t.order,
        attempt=2,
        idempotency_key="their-key",
        gateway="paylink",
        pay_phone="+254700000001",
        amount=1,
    ),
    "attempt_by_key": lambda c, t, m: order_store.attempt_by_key(c, "their-key"),
    "pending_order": lambda c, t, m: order_store.pending_order(c, t.conversation),
    "latest_order": lambda c, t, m: order_store.latest_order(c, t.conversation),
    "order_items": lambda c, t, m: order_store.order_items(c, t.order),
    "lock_order": lambda c, t, m: order_store.lock_order(c, t.order),
    "current_attempt": lambda c, t, m: order_store.current_attempt(c, t.order),
    "find_attempt": lambda c, t, m: order_store.find_attempt(
        c,
        gateway="paylink",
        checkout_request_id="ws_CO_theirs",
        mpesa_reference="MPXTHEIRS",
        order_reference=t.order,
    ),
    "lock_attempt": lambda c, t, m: order_store.lock_attempt(c, t.attempt),
    "record_push": lambda c, t, m: order_store.record_push(
        c, t.order, 1, checkout_request_id="x", mpesa_reference="y", outcome_known=True
    ),
    "answer_attempt": lambda c, t, m: order_store.answer_attempt(c, t.attempt, status="paid"),
    "mark_paid": lambda c, t, m: order_store.mark_paid(
        c, t.order, transaction_id="X", mpesa_reference="Y"
    ),
    "end_order": lambda c, t, m: order_store.end_order(c, t.order, "cancelled", "x"),
    "flag_order": lambda c, t, m: order_store.flag_order(c, t.order, "x"),
    "clear_cart": lambda c, t, m: order_store.clear_cart(c, t.conversation),
    "set_notified": lambda c, t, m: order_store.set_notified(c, t.order, "x"),
    "tenant_by_reference": lambda c, t, m: order_store.tenant_by_reference(c, "no-such-ref"),
    "orders_due": lambda c, t, m: order_store.orders_due(c, 0, 10000),
    "flagged_amount": lambda c, t, m: order_store.flagged_amount(c, t.order),
    "flagged_payment": lambda c, t, m: order_store.flagged_payment(c, t.order),
    "record_stk_payment": lambda c, t, m: ledger.record_stk_payment(
        c,
        attempt={"id": t.attempt, "pay_phone": "+254700000001"},
        gateway="paylink",
        receipt="QPROBE0001",
        amount=Decimal(1),
    ),
    "received": lambda c, t, m: ledger.received(c, t.order),
    "for_order": lambda c, t, m: ledger.for_order(c, t.order),
    "day_report": lambda c, t, m: reconciliation.day_report(c, datetime.now(NAIROBI).date()),
    "record_owner_payment": lambda c, t, m: ledger.record_owner_payment(
        c, order_id=t.order, receipt="QPROBE0002", amount=Decimal(1)
    ),
    "receipt_order": lambda c, t, m: ledger.receipt_order(c, "QPROBE0001"),
    "record_network_payment": lambda c, t, m: ledger.record_network_payment(
        c,
        business_id=t.business,
        order_id=t.order,
        receipt="QPROBE0003",
        amount=Decimal(1),
        shortcode="600000",
        matched_by="c2b_account",
    ),
    "network_payment": lambda c, t, m: ledger.network_payment(c, "QPROBE0001"),
    "attach_to_order": lambda c, t, m: ledger.attach_to_order(c, "QPROBE0001", t.order),
    "accept_flagged": lambda c, t, m: order_store.accept_flagged(
        c, t.order, amount_received=None, transaction_id="X", mpesa_reference="Y"
    ),
    "cancel_flagged": lambda c, t, m: order_store.cancel_flagged(c, t.order, amount_received=None),
    "reconcile_view": lambda c, t, m: order_store.reconcile_view(c, t.order, 0),
    # stock
    "put_back": lambda c, t, m: reservations.put_back(
        c, [{"product_id": t.product, "size": "M", "quantity": 5}]
    ),
    "reserve": lambda c, t, m: reservations.reserve(
        c,
        business_id=t.business,
        order_id=t.order,
        attempt=1,
        claims=[reservations.Claim(t.product, "x", None, 1)],
    ),
    "release": lambda c, t, m: reservations.release(c, t.order),
    "commit": lambda c, t, m: reservations.commit(c, t.order),
    "set_size_stock": lambda c, t, m: reservations.set_size_stock(
        c, t.business, t.product, {"M": 99}
    ),
    # shop knowledge
    "shop_answers": lambda c, t, m: shop_knowledge.shop_answers(c),
    "add_shop_answer": lambda c, t, m: shop_knowledge.add_shop_answer(
        c, t.business, question="Hijack?", phrasings=[], answer_en="x", answer_sw=""
    ),
    "update_shop_answer": lambda c, t, m: shop_knowledge.update_shop_answer(
        c, t.shop_answer, question="Hijack?", phrasings=[], answer_en="x", answer_sw=""
    ),
    "delete_shop_answer": lambda c, t, m: shop_knowledge.delete_shop_answer(c, t.shop_answer),
    "record_question": lambda c, t, m: shop_knowledge.record_question(
        c,
        t.business,
        t.conversation,
        customer_phone=t.customer_phone,
        question="Hijack?",
        topic="pickup",
        language="en",
    ),
    "open_questions": lambda c, t, m: shop_knowledge.open_questions(c, t.conversation),
    "lock_open_question": lambda c, t, m: shop_knowledge.lock_open_question(c, t.question),
    "mark_answered": lambda c, t, m: shop_knowledge.mark_answered(c, t.question, "x", "+1"),
    "has_open_questions": lambda c, t, m: shop_knowledge.has_open_questions(c, t.conversation),
    # consent
    "record_consent": lambda c, t, m: consent.record_consent(
        c, business_id=t.business, customer_phone=t.customer_phone, kind="opt_in", source="import"
    ),
    "current_consent": lambda c, t, m: consent.current_consent(c, t.business, t.customer_phone),
    "opted_out": lambda c, t, m: consent.opted_out(c, t.business, t.customer_phone),
    "marketing_allowed": lambda c, t, m: consent.marketing_allowed(c, t.business, t.customer_phone),
    # delivery receipts
    "sent_by_sid": lambda c, t, m: message_status.sent_by_sid(c, THEIR_SID),
    "sent_by_sid_once_recorded": lambda c, t, m: message_status.sent_by_sid_once_recorded(
        c, THEIR_SID, t.customer_phone
    ),
    "record": lambda c, t, m: message_status.record(c, t.outbound, "failed", 63024),
    "latest": lambda c, t, m: message_status.latest(c, t.outbound),
    "latest_for": lambda c, t, m: message_status.latest_for(c, [t.outbound]),
    # attribution
    "record_touch": lambda c, t, m: attribution.record_touch(
        c, business_id=t.business, customer_phone=t.customer_phone, kind="broadcast"
    ),
    "attribute": lambda c, t, m: attribution.attribute(c, t.order),
    # follow-ups
    "rules": lambda c, t, m: follow_ups.rules({}),
    "due_kind": lambda c, t, m: follow_ups.due_kind(c, t.conversation),
    "claim": lambda c, t, m: follow_ups.claim(
        c,
        business_id=t.business,
        conversation_id=t.conversation,
        customer_phone=t.customer_phone,
        kind="cart",
        order_id=None,
    ),
    "note_message": lambda c, t, m: follow_ups.note_message(c, t.order, t.outbound),
    # broadcasts
    "create": lambda c, t, m: broadcast_store.create(
        c, t.business, title="Hijack", product_ids=[t.product], audience=AUDIENCE
    ),
    "listed": lambda c, t, m: broadcast_store.listed(c),
    "get": lambda c, t, m: broadcast_store.get(c, t.broadcast),
    "cancel": lambda c, t, m: broadcast_store.cancel(c, t.broadcast),
    "daily_limit": lambda c, t, m: broadcast_limits.daily_limit(None),
    "set_daily_limit": lambda c, t, m: broadcast_limits.set_daily_limit(c, t.business, 1000),
    "customers_reached": lambda c, t, m: broadcast_limits.customers_reached(c, t.business),
    "members": lambda c, t, m: broadcast_audience.members(c, t.business, AUDIENCE),
    "categories": lambda c, t, m: broadcast_audience.categories(c, t.business),
    "report": lambda c, t, m: broadcast_report.report(c, t.broadcast),
}
# Cross-tenant by design (the webhook, relays and reconciler start with no tenant): they
# return ids only, never content. Probed above with inputs that match nothing of theirs.
BY_DESIGN = {
    "business_id_for_whatsapp",
    "require_business_id_for_whatsapp",
    "enter_business_by_whatsapp",
    "pending",
    "orders_due",
}


def repository_functions() -> set[str]:
    found = set()
    for module in REPOSITORY_MODULES:
        for name, member in vars(module).items():
            if (
                isinstance(member, types.FunctionType)
                and member.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found.add(name)
    return found


def test_every_repository_function_has_a_cross_tenant_probe():
    assert set(PROBES) == repository_functions()


@pytest.mark.parametrize("name", sorted(PROBES))
def test_a_repository_function_given_another_tenants_ids_neither_reads_nor_changes_them(
    stack, admin_conn, mine, theirs, name
):
    before = snapshot(admin_conn, theirs)
    with psycopg.connect(stack["APP_DATABASE_URL"], row_factory=dict_row) as conn:
        try:
            with conn.transaction():
                conn.execute("SELECT set_config('app.business_id', %s, true)", (mine.id,))
                result: Any = PROBES[name](conn, theirs, mine.id)
        except (psycopg.errors.InsufficientPrivilege, AssertionError, reservations.SoldOut):
            result = "refused"

    # A lookup that works across tenants by design may name their rows by id, nothing more.
    forbidden = [MARKER, theirs.customer_phone] if name in BY_DESIGN else theirs.markers()
    leaked = [marker for marker in forbidden if marker in repr(result)]
    assert leaked == [], f"{name} returned their data: {result!r}"
    assert snapshot(admin_conn, theirs) == before, f"{name} changed their rows"


def test_narrow_cross_tenant_lookups_return_ids_and_never_content(stack, theirs):
    with psycopg.connect(stack["APP_DATABASE_URL"], row_factory=dict_row) as conn:
        found = businesses.business_id_for_whatsapp(conn, theirs.number)
        due = order_store.orders_due(conn, 0, 10000)
        queued = outbox.pending(conn, 10000)

    assert found == theirs.business  # the webhook must learn whose number it is; nothing more
    assert due and all(set(row) == {"business_id", "order_id"} for row in due)
    assert all(set(row) == {"id", "business_id", "topic", "payload"} for row in queued)


# --- every dashboard route -------------------------------------------------------------------

ID_ARGUMENTS = {
    "conversation_id": "conversation",
    "customer_id": "conversation",
    "message_id": "inbound",
    "product_id": "product",
    "order_id": "order",
    "question_id": "question",
    "answer_id": "shop_answer",
    "broadcast_id": "broadcast",
}
FORMS = {
    "conversations.reply": {"text": "Hello from another shop"},
    "conversations.record_consent": {"kind": "opt_out"},
    "products.edit": {"name": "Hijacked", "price": "1", "stock": "0"},
    "orders.update_fulfilment": {"status": "shipped"},
    "orders.decide": {"decision": "cancel"},
    "orders.record_payment": {"code": "QHIJACK001", "amount": "1"},
    "settings.save": {"name": "Hijacked", "phone": "0711222333"},
    "settings.save_answer": {"question": "Hijacked?", "answer_en": "Hijacked"},
    "questions.answer": {"text": "Hijacked answer", "save": "yes"},
}


@pytest.fixture(scope="module")
def owner(app: Flask, stack: dict[str, str], mine: Any) -> OwnerClient:
    return OwnerClient(app, stack, mine.owner)


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, path with their ids) for every route and method of the dashboard."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return found


def fill(path: str, theirs: Theirs) -> str:
    for argument, field in ID_ARGUMENTS.items():
        path = path.replace(f"<uuid:{argument}>", getattr(theirs, field))
    return path.replace("<int:index>", "0").replace("<section>", "profile")


def test_every_dashboard_route_argument_can_be_filled_with_another_tenants_id(app):
    assert set(FORMS) <= {endpoint for endpoint, _, _ in routes(app)}
    unknown = [
        (endpoint, path)
        for endpoint, _, path in routes(app)
        if any(part.startswith("<") for part in path.split("/"))
        and not all(
            part[1:-1].split(":")[-1] in {*ID_ARGUMENTS, "index", "section"}
            for part in path.split("/")
            if part.startswith("<")
        )
    ]
    assert unknown == [], "a route takes an argument this test does not know how to fill"


def test_no_dashboard_route_shows_or_changes_another_boutiques_data(
    app, owner, admin_conn, stack, theirs
):
    before = snapshot(admin_conn, theirs)
    failures = []
    for endpoint, method, path in routes(app):
        url = fill(path, theirs)
        if endpoint in ("auth.logout", "auth.logout_everywhere"):
            continue  # would end the session the other probes use
        if method == "GET":
            response = owner.get(url)
        else:
            response = owner.post(url, {**FORMS.get(endpoint, {}), "business_id": theirs.business})
        body = response.get_data(as_text=True)
        shown = [m for m in theirs.markers() if m in body]
        takes_their_id = any(f"<uuid:{a}>" in path for a in ID_ARGUMENTS)
        if shown or (takes_their_id and response.status_code != 404):
            failures.append((method, path, response.status_code, shown))

    assert failures == []
    after = snapshot(admin_conn, theirs)
    assert after == before
    assert sandbox_messages(stack, theirs.customer_phone) == []
