"""The audit log page: who did what and when in this boutique, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from duka.dashboard.auth import owner_transaction
from duka.db.pool import Connection

bp = Blueprint("audit", __name__, url_prefix="/dashboard/audit")

PAGE_SIZE = 50
# What each action reads as on the page ("+254 712 … took over the chat").
ACTIONS = {
    "chat.take_over": "took over the chat",
    "chat.hand_back": "handed the chat back to the agent",
    "chat.reply": "sent a reply",
    "order.fulfilment": "changed delivery status",
    "order.flag_decided": "decided a flagged order",
    "order.payment_recorded": "recorded a payment by hand",
    "order.cash_recorded": "recorded cash collected on delivery",
    "order.pod_cancelled": "cancelled an unpaid pay-on-delivery order",
    "order.refund": "refunded",
    "order.goods_back": "recorded goods returned",
    "settings.saved": "saved settings",
    "product.saved": "saved a product",
    "product.archived": "hid a product",
    "product.restored": "showed a product again",
    "product.deleted": "deleted a product",
    "broadcast.sent": "sent a broadcast",
    "broadcast.stopped": "stopped a broadcast",
    "saved_reply.added": "added a saved reply",
    "saved_reply.removed": "removed a saved reply",
    "customer.tag_added": "tagged a customer",
    "customer.tag_removed": "removed a customer's tag",
    "customer.note_added": "wrote a private note",
    "customer.note_removed": "removed a private note",
    "export.downloaded": "downloaded a CSV export",
    "staff.added": "gave a staff member access",
    "staff.removed": "removed someone's access",
    "delivery_fee.set": "set a delivery fee",
    "pickup_point.saved": "saved a pickup point",
    "pickup_point.imported": "imported pickup points",
    "pickup_point.deleted": "removed a pickup point",
    "privacy.exported": "downloaded a customer's data",
    "privacy.deleted": "deleted a customer's data",
    "order.deposit_decided": "decided a lapsed plan's deposit",
    "product.layaway": "changed a product's lipa pole pole",
    "question.answered": "answered a customer's question",
    "shop_answer.saved": "saved an answer for the agent",
    "shop_answer.deleted": "deleted an answer for the agent",
    "customer.consent": "recorded a customer's consent",
    "chat.send_again": "pressed Send again",
    "auth.signed_in": "signed in",
    "auth.signed_out": "signed out",
    "auth.signed_out_everywhere": "signed out everywhere",
}
# The page each kind of subject opens on (endpoint, its id argument).
SUBJECT_PAGES = {
    "conversation": ("conversations.thread", "conversation_id"),
    "customer": ("customers.detail", "customer_id"),
    "order": ("orders.detail", "order_id"),
    "product": ("products.edit", "product_id"),
    "broadcast": ("broadcasts.detail", "broadcast_id"),
}


def entries(conn: Connection, page: int) -> tuple[list[dict[str, Any]], bool]:
    """One page of entries, newest first, and whether an older page follows."""
    rows = conn.execute(
        "SELECT id, actor_phone, actor_role, action, subject_type, subject_id, details, created_at"
        " FROM audit_log ORDER BY id DESC LIMIT %s OFFSET %s",
        (PAGE_SIZE + 1, (page - 1) * PAGE_SIZE),
    ).fetchall()
    return [_shown(row) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    link = SUBJECT_PAGES.get(row["subject_type"])
    return {
        **row,
        "what": ACTIONS.get(row["action"], row["action"]),
        "link": url_for(link[0], **{link[1]: row["subject_id"]})
        if link and row["subject_id"]
        else None,
    }


@bp.route("")
def index() -> str:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    with owner_transaction() as conn:
        rows, more = entries(conn, page)
    return render_template("inbox/audit.html", entries=rows, page=page, more=more)
