"""A customer pastes an M-Pesa code (or SMS) for her order: count it only if M-Pesa agrees.

The code must name a payment the network made to THIS shop's Till or Paybill, for the amount the
SMS states, never counted before. The ledger (`payments`, unique receipt per boutique) is the
one record: a C2B confirmation Daraja already sent is there, waiting with no order; a code the
ledger has not seen is asked about with Transaction Status and finished when the result arrives
(duka.orders.code_checks). Every decision runs under the order's row lock, so one receipt is
counted once however many customers paste it. A reused code, another shortcode, a different
amount or an unknown code is refused politely and the owner alerted; each refusal counts
towards the customer's daily cap so codes cannot be guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from duka.db.pool import Connection
from duka.orders import ledger, manual_pay, store
from duka.orders.mpesa_sms import PastedPayment
from duka.orders.payment_events import PaymentEvent, QueuedEvent, enqueue
from duka.orders.settlement import PAYABLE, settle

FAILED_CLAIMS_PER_DAY = 5


class Verdict(StrEnum):
    PAID = "paid"  # counted; the order is paid
    PART_PAID = "part_paid"  # counted; a balance remains
    ALREADY_COUNTED = "already_counted"  # this order already has it
    CHECKING = "checking"  # asked M-Pesa (Transaction Status); the answer comes later
    OWNER_CONFIRMS = "owner_confirms"  # no API can check it: the owner will
    NO_ORDER = "no_order"
    TOO_MANY = "too_many"
    REUSED = "reused"
    OTHER_SHORTCODE = "other_shortcode"
    AMOUNT_MISMATCH = "amount_mismatch"
    NOT_FOUND = "not_found"


REFUSED = frozenset(
    {Verdict.REUSED, Verdict.OTHER_SHORTCODE, Verdict.AMOUNT_MISMATCH, Verdict.NOT_FOUND}
)
# What the owner alert says about a refusal, or about a code only the owner can check.
OWNER_REASONS: dict[Verdict, str] = {
    Verdict.REUSED: "not counted, it was already used for another payment",
    Verdict.OTHER_SHORTCODE: "not counted, it was paid to another Till or Paybill",
    Verdict.AMOUNT_MISMATCH: "not counted, the pasted SMS differs from M-Pesa's record",
    Verdict.NOT_FOUND: "not counted, M-Pesa has no such payment to your shop",
    Verdict.OWNER_CONFIRMS: "please check it and confirm it on the order page",
    Verdict.NO_ORDER: "no unpaid order in the chat, please check it",
    Verdict.TOO_MANY: "too many codes refused today, please check the chat",
}


@dataclass(frozen=True)
class Decided:
    verdict: Verdict
    receipt: str
    order_id: str | None = None
    received: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    queued: QueuedEvent | None = None  # the PAID notice, to publish after commit

    @property
    def balance(self) -> Decimal:
        return max(self.total - self.received, Decimal(0))


def shop_shortcodes(settings: Mapping[str, Any]) -> dict[str, str]:
    """The shop's own Till and Paybill numbers from its settings ({"till": ..., ...})."""
    shop = settings.get("shop") or {}
    return {kind: str(shop[kind]) for kind in ("till", "paybill") if shop.get(kind)}


def too_many_refused(conn: Connection, customer_phone: str) -> bool:
    row = conn.execute(
        "SELECT count(*) AS n FROM payment_claims WHERE customer_phone = %s"
        " AND status = 'rejected' AND reason = ANY(%s) AND created_at > now() - interval '1 day'",
        (customer_phone, [verdict.value for verdict in REFUSED]),
    ).fetchone()
    return row is not None and int(row["n"]) >= FAILED_CLAIMS_PER_DAY


def open_claim(
    conn: Connection,
    *,
    business_id: str,
    conversation_id: str | None,
    order_id: str | None,
    customer_phone: str,
    pasted: PastedPayment,
) -> str:
    row = conn.execute(
        "INSERT INTO payment_claims (business_id, conversation_id, order_id, customer_phone,"
        " receipt, sms_amount) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (business_id, conversation_id, order_id, customer_phone, pasted.receipt, pasted.amount),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def close_claim(
    conn: Connection, claim_id: str, verdict: Verdict, reason: str | None = None
) -> None:
    """Record how the claim ended: matched (counted or already counted) or rejected (refused,
    or left to the owner: `reason` says why, and only refusals count towards the cap)."""
    if verdict is Verdict.CHECKING:
        return
    matched = verdict in (Verdict.PAID, Verdict.PART_PAID, Verdict.ALREADY_COUNTED)
    conn.execute(
        "UPDATE payment_claims SET status = %s, reason = %s, decided_at = now() WHERE id = %s",
        (
            "matched" if matched else "rejected",
            None if matched else reason or verdict.value,
            claim_id,
        ),
    )


def decide_with_ledger(
    conn: Connection,
    order: Mapping[str, Any],
    pasted: PastedPayment,
    shortcodes: Mapping[str, str],
) -> Decided | None:
    """Under the order's row lock: what the ledger already says about the code; None when
    the ledger has never seen it (ask M-Pesa)."""
    receipt, order_id = pasted.receipt, str(order["id"])
    row = ledger.network_payment(conn, receipt)
    if row is None:
        return None
    if row["order_id"] is not None:
        same = str(row["order_id"]) == order_id
        return Decided(Verdict.ALREADY_COUNTED if same else Verdict.REUSED, receipt, order_id)
    if row["gateway"] != "daraja" or row["shortcode"] not in shortcodes.values():
        return Decided(Verdict.OTHER_SHORTCODE, receipt, order_id)
    if pasted.amount is not None and pasted.amount != Decimal(row["amount"]):
        return Decided(Verdict.AMOUNT_MISMATCH, receipt, order_id)
    ledger.attach_to_order(conn, receipt, order_id)
    return settle_claimed(conn, order, receipt)


def settle_claimed(conn: Connection, order: Mapping[str, Any], receipt: str) -> Decided:
    """The receipt now counts for the (locked) order: is it paid? Queue the PAID notice. A
    running layaway plan takes it as an instalment; the reply tells the balance."""
    order_id = str(order["id"])
    if order["status"] not in PAYABLE or order["flagged"]:
        # Money for an order that closed (expired, flagged) meanwhile: it stays matched to it,
        # on its page, and the owner decides.
        return Decided(Verdict.OWNER_CONFIRMS, receipt, order_id, total=Decimal(order["amount"]))
    settled = settle(conn, order, transaction_id=receipt)
    if not settled.paid:
        return Decided(Verdict.PART_PAID, receipt, order_id, settled.received, settled.total)
    _close_manual_attempt(conn, order_id)
    queued = enqueue(
        conn,
        business_id=str(order["business_id"]),
        order_id=order_id,
        attempt=int(order["attempt"]),
        event=PaymentEvent.PAID,
    )
    return Decided(Verdict.PAID, receipt, order_id, settled.received, settled.total, queued)


def _close_manual_attempt(conn: Connection, order_id: str) -> None:
    attempt = store.current_attempt(conn, order_id)
    if attempt is not None and attempt["gateway"] == manual_pay.MANUAL_GATEWAY:
        store.answer_attempt(conn, str(attempt["id"]), status="paid")
