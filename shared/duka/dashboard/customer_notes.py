"""Tags and private notes on customers: the owner's own labels ("VIP", "wholesale") and memos
("pays on Fridays"). Both belong to the dashboard only: nothing here is ever sent to the
customer or read by the agent.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from duka.dashboard import audit
from duka.dashboard.auth import current_owner, owner_transaction
from duka.db.pool import Connection

bp = Blueprint("customer_notes", __name__, url_prefix="/dashboard/customers")

MAX_TAG_CHARS = 30
MAX_NOTE_CHARS = 2000


def tag_of(raw: str) -> str:
    """One short label: spaces squeezed, at most MAX_TAG_CHARS (empty when nothing usable)."""
    return " ".join(raw.split())[:MAX_TAG_CHARS]


def tags_for(conn: Connection, phone: str) -> list[str]:
    rows = conn.execute(
        "SELECT tag FROM customer_tags WHERE customer_phone = %s ORDER BY lower(tag)", (phone,)
    ).fetchall()
    return [row["tag"] for row in rows]


def all_tags(conn: Connection) -> list[str]:
    """Every tag in use in the boutique: the Customers list filters by them."""
    rows = conn.execute(
        "SELECT DISTINCT tag, lower(tag) FROM customer_tags ORDER BY lower(tag)"
    ).fetchall()
    return [row["tag"] for row in rows]


def notes_for(conn: Connection, phone: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, body, author_phone, created_at FROM customer_notes"
        " WHERE customer_phone = %s ORDER BY created_at DESC, id",
        (phone,),
    ).fetchall()


def _phone(conn: Connection, customer_id: UUID) -> str:
    """The customer's phone; 404 when the id is not one of this boutique's customers."""
    row = conn.execute(
        "SELECT customer_phone FROM conversations WHERE id = %s", (customer_id,)
    ).fetchone()
    if row is None:
        abort(404)
    return str(row["customer_phone"])


def _back(customer_id: UUID, anchor: str) -> Response:
    return redirect(url_for("customers.detail", customer_id=customer_id) + anchor)


@bp.route("/<uuid:customer_id>/tags", methods=["POST"])
def add_tag(customer_id: UUID) -> Response:
    tag = tag_of(request.form.get("tag", ""))
    with owner_transaction() as conn:
        phone = _phone(conn, customer_id)
        if not tag:
            flash("Type a tag first, e.g. VIP.", "error")
            return _back(customer_id, "#tags")
        added = conn.execute(
            "INSERT INTO customer_tags (business_id, customer_phone, tag) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING tag",
            (current_owner().business_id, phone, tag),
        ).fetchone()
        if added:
            audit.record(conn, "customer.tag_added", "customer", customer_id, tag=tag)
    return _back(customer_id, "#tags")


@bp.route("/<uuid:customer_id>/tags/remove", methods=["POST"])
def remove_tag(customer_id: UUID) -> Response:
    tag = request.form.get("tag", "")
    with owner_transaction() as conn:
        phone = _phone(conn, customer_id)
        removed = conn.execute(
            "DELETE FROM customer_tags WHERE customer_phone = %s AND tag = %s RETURNING tag",
            (phone, tag),
        ).fetchone()
        if removed:
            audit.record(conn, "customer.tag_removed", "customer", customer_id, tag=tag)
    return _back(customer_id, "#tags")


@bp.route("/<uuid:customer_id>/notes", methods=["POST"])
def add_note(customer_id: UUID) -> Response:
    body = request.form.get("body", "").strip()
    with owner_transaction() as conn:
        phone = _phone(conn, customer_id)
        if not body or len(body) > MAX_NOTE_CHARS:
            flash(f"A note is 1 to {MAX_NOTE_CHARS} characters.", "error")
            return _back(customer_id, "#notes")
        owner = current_owner()
        conn.execute(
            "INSERT INTO customer_notes (business_id, customer_phone, body, author_phone)"
            " VALUES (%s, %s, %s, %s)",
            (owner.business_id, phone, body, owner.phone),
        )
        audit.record(conn, "customer.note_added", "customer", customer_id)
    return _back(customer_id, "#notes")


@bp.route("/<uuid:customer_id>/notes/delete", methods=["POST"])
def remove_note(customer_id: UUID) -> Response:
    with owner_transaction() as conn:
        phone = _phone(conn, customer_id)  # first: another boutique's customer is a 404
        try:
            note_id = UUID(request.form.get("id", ""))
        except ValueError:
            abort(400)
        removed = conn.execute(
            "DELETE FROM customer_notes WHERE id = %s AND customer_phone = %s RETURNING id",
            (note_id, phone),
        ).fetchone()
        if removed is None:
            abort(404)
        audit.record(conn, "customer.note_removed", "customer", customer_id)
    return _back(customer_id, "#notes")
