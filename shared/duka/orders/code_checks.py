"""A pasted code the ledger has not seen, checked with Daraja's Transaction Status.

`start_check` records the claim and asks M-Pesa; the answer arrives later at the boutique's
status-result (or status-timeout) notice URL and is applied to the claim under the order's row
lock: paid (the usual payment event tells the customer), or refused with a polite message and
an owner alert. A C2B confirmation that arrived meanwhile is used first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from duka.db.pool import Connection, tenant_transaction
from duka.logs import log
from duka.orchestrator.templates import kes, say
from duka.orders import code_claims, ledger, store
from duka.orders.code_claims import Decided, Verdict
from duka.orders.daraja_notices import notice_url
from duka.orders.mpesa_sms import PastedPayment
from duka.orders.payment_events import publish
from duka.orders.till_notices import daraja_gateway
from duka.outbound import deliver_pending, queue_reply
from duka.payments import GatewayConfigError, GatewayDeclined, GatewayUnavailable
from duka.payments import daraja_c2b as c2b
from duka.secrets import SecretConfigurationError, SecretStoreUnavailable
from duka.store import businesses, conversations
from duka.whatsapp_templates import owner_alert, template_metadata

logger = logging.getLogger(__name__)

# A Transaction Status result can overtake the write of its request's ids: wait this long.
_CLAIM_WAIT_S = 5.0
_REPLY_KEYS: dict[Verdict, str] = {
    Verdict.PART_PAID: "code_part_paid",
    Verdict.ALREADY_COUNTED: "code_already_counted",
    Verdict.OWNER_CONFIRMS: "code_owner_confirms",
    Verdict.REUSED: "code_reused",
    Verdict.OTHER_SHORTCODE: "code_not_ours",
    Verdict.AMOUNT_MISMATCH: "code_not_matching",
    Verdict.NOT_FOUND: "code_not_found",
}


def start_check(
    business: Mapping[str, Any],
    conversation_id: str,
    customer_phone: str,
    order_id: str,
    pasted: PastedPayment,
) -> Verdict:
    """Ask M-Pesa about a code the ledger has not seen: CHECKING (the result finishes it), or
    OWNER_CONFIRMS when M-Pesa cannot be asked. The claim is committed first, on its own
    connection, because the result may arrive before the caller's transaction ends."""
    business_id = str(business["id"])
    shortcodes = code_claims.shop_shortcodes(business["settings"])
    with tenant_transaction(business_id) as conn:
        claim_id = code_claims.open_claim(
            conn,
            business_id=business_id,
            conversation_id=conversation_id,
            order_id=order_id,
            customer_phone=customer_phone,
            pasted=pasted,
        )
    paybill = bool(pasted.account) or "till" not in shortcodes
    try:
        refs = c2b.query_status(
            daraja_gateway(business_id, business["settings"]),
            receipt=pasted.receipt,
            shortcode=shortcodes["paybill" if paybill else "till"],
            identifier_type=c2b.IDENTIFIER_SHORTCODE if paybill else c2b.IDENTIFIER_TILL,
            result_url=notice_url(c2b.STATUS_RESULT, business_id),
            timeout_url=notice_url(c2b.STATUS_TIMEOUT, business_id),
        )
    except (
        GatewayUnavailable,
        GatewayDeclined,
        GatewayConfigError,
        SecretConfigurationError,
        SecretStoreUnavailable,
    ) as exc:
        log(logger, logging.WARNING, "code not checked", business_id=business_id, error=str(exc))
        with tenant_transaction(business_id) as conn:
            code_claims.close_claim(conn, claim_id, Verdict.OWNER_CONFIRMS, "not_checked")
        return Verdict.OWNER_CONFIRMS
    with tenant_transaction(business_id) as conn:
        conn.execute(
            "UPDATE payment_claims SET conversation_ref = %s, originator_ref = %s WHERE id = %s",
            (refs[0], refs[1], claim_id),
        )
    return Verdict.CHECKING


def on_status_result(business_id: str, body: bytes) -> Mapping[str, Any]:
    result = c2b.read_status_result(body)
    _finish(business_id, result.conversation_ref, result.originator_ref, result)
    return c2b.ACCEPTED


def on_status_timeout(business_id: str, body: bytes) -> Mapping[str, Any]:
    conversation_ref, originator_ref = c2b.read_status_timeout(body)
    _finish(business_id, conversation_ref, originator_ref, None)
    return c2b.ACCEPTED


def _finish(
    business_id: str,
    conversation_ref: str | None,
    originator_ref: str | None,
    result: c2b.StatusResult | None,
) -> None:
    """Apply M-Pesa's answer (None: it gave up) to the claim waiting for it, once."""
    claim_id = _waiting_claim(business_id, conversation_ref, originator_ref)
    if claim_id is None:
        log(
            logger,
            logging.WARNING,
            "Transaction Status answer for no waiting code; acknowledged",
            business_id=business_id,
            originator_ref=originator_ref,
        )
        return
    with tenant_transaction(business_id) as conn:
        claim = conn.execute(
            "SELECT * FROM payment_claims WHERE id = %s FOR UPDATE", (claim_id,)
        ).fetchone()
        business = businesses.get_business(conn, business_id)
        if claim is None or business is None or claim["status"] != "checking":
            return
        order = store.lock_order(conn, str(claim["order_id"])) if claim["order_id"] else None
        decided = _decide(conn, business, claim, order, result)
        code_claims.close_claim(
            conn, claim_id, decided.verdict, None if result else "status_timeout"
        )
        conversation_id = claim["conversation_id"]
        if conversation_id is not None and decided.verdict is not Verdict.PAID:
            tell(conn, business, str(conversation_id), claim, decided, order)
    publish(decided.queued)
    if conversation_id is not None:
        deliver_pending(business_id, str(conversation_id))


def _decide(
    conn: Connection,
    business: Mapping[str, Any],
    claim: Mapping[str, Any],
    order: Mapping[str, Any] | None,
    result: c2b.StatusResult | None,
) -> Decided:
    receipt = str(claim["receipt"])
    sms_amount = claim["sms_amount"]
    shortcodes = code_claims.shop_shortcodes(business["settings"])
    pasted = PastedPayment(receipt, sms_amount, None, None, is_sms=sms_amount is not None)
    if order is None:
        return Decided(Verdict.OWNER_CONFIRMS, receipt)
    # A C2B confirmation may have brought the payment in meanwhile.
    known = code_claims.decide_with_ledger(conn, order, pasted, shortcodes)
    if known is not None:
        return known
    if result is None:
        return Decided(Verdict.OWNER_CONFIRMS, receipt, str(order["id"]))
    if not result.found or result.receipt != receipt or result.amount is None:
        return Decided(Verdict.NOT_FOUND, receipt, str(order["id"]))
    if result.shortcode is None or result.shortcode not in shortcodes.values():
        return Decided(Verdict.OTHER_SHORTCODE, receipt, str(order["id"]))
    if sms_amount is not None and sms_amount != result.amount:
        return Decided(Verdict.AMOUNT_MISMATCH, receipt, str(order["id"]))
    ledger.record_network_payment(
        conn,
        business_id=str(business["id"]),
        order_id=str(order["id"]),
        receipt=receipt,
        amount=result.amount,
        shortcode=result.shortcode,
        matched_by="transaction_status",
    )
    return code_claims.settle_claimed(conn, order, receipt)


def _waiting_claim(
    business_id: str, conversation_ref: str | None, originator_ref: str | None
) -> str | None:
    deadline = time.monotonic() + _CLAIM_WAIT_S
    while True:
        with tenant_transaction(business_id) as conn:
            row = conn.execute(
                "SELECT id FROM payment_claims WHERE status = 'checking'"
                " AND (originator_ref = %s OR conversation_ref = %s) LIMIT 1",
                (originator_ref, conversation_ref),
            ).fetchone()
        if row is not None:
            return str(row["id"])
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def tell(
    conn: Connection,
    business: Mapping[str, Any],
    conversation_id: str,
    claim: Mapping[str, Any],
    decided: Decided,
    order: Mapping[str, Any] | None,
) -> None:
    """Queue what the customer hears about her code once M-Pesa answered, and the owner's
    alert when it was refused or is left to the owner."""
    business_id = str(business["id"])
    language = conversations.reply_language(conn, conversation_id)
    values = {
        "receipt": decided.receipt,
        "received": kes(decided.received),
        "total": kes(decided.total),
        "balance": kes(decided.balance),
    }
    total = kes(order["amount"]) if order else kes(0)
    queue_reply(
        conn,
        business_id=business_id,
        conversation_id=conversation_id,
        text=say(_REPLY_KEYS[decided.verdict], language, **values),
        metadata={
            "kind": "code_claim",
            "verdict": decided.verdict.value,
            # Outside her 24-hour window only a template can go: "did not go through".
            "template": template_metadata(
                "payment_failed", {"1": str(business["name"]), "2": total}
            ),
        },
    )
    alert = owner_message(business, str(claim["customer_phone"]), decided)
    if alert is not None:
        queue_reply(
            conn,
            business_id=business_id,
            conversation_id=conversation_id,
            text=alert["text"],
            role="system",
            to=alert["to"],
            metadata={"template": alert["template"]},
        )


def owner_message(
    business: Mapping[str, Any], customer_phone: str, decided: Decided
) -> dict[str, Any] | None:
    """The owner alert about a code (as a turn's extra message), or None when nothing needs
    the owner (or the owner is the shop's own WhatsApp number)."""
    reason = code_claims.OWNER_REASONS.get(decided.verdict)
    owner = business.get("phone")
    if reason is None or not owner or owner == business.get("whatsapp_number"):
        return None
    text = say("owner_code", "en", receipt=decided.receipt, phone=customer_phone, reason=reason)
    return {
        "to": owner,
        "role": "system",
        "text": text,
        "template": owner_alert(f"M-Pesa code {decided.receipt} {reason}", customer_phone),
    }
