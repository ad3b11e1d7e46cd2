"""Daraja's C2B notices for a boutique's Till or Paybill, and registering their URLs.

- c2b-validation: accepted whatever the account. A Till payment has no account, and a customer
  who typed a wrong or old order number has still paid this shop: refusing would bounce her
  money with no reason she can read. The payment is stored and matched by her code instead.
- c2b-confirmation: every payment to the shop's own Till or Paybill enters the ledger once (by
  TransID); an account naming an open order of this boutique pays it at once ('c2b_account'),
  anything else waits with no order for the code ('c2b'). Another shortcode: nothing stored.

Transaction Status, for a code the ledger has not seen, is duka.orders.code_checks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from duka.db.pool import Connection, tenant_transaction
from duka.logs import log
from duka.orders import code_claims, gateway_choice, layaway, ledger
from duka.orders.code_claims import Decided, Verdict
from duka.orders.daraja_notices import notice_url
from duka.orders.payment_events import PaymentEvent, QueuedEvent, enqueue, publish
from duka.payments import GatewayConfigError
from duka.payments import daraja_c2b as c2b
from duka.payments.daraja import DarajaGateway
from duka.store import businesses

logger = logging.getLogger(__name__)


def daraja_gateway(business_id: str, settings: Mapping[str, Any]) -> DarajaGateway:
    """The boutique's Daraja gateway; GatewayConfigError when it does not use Daraja."""
    gateway = gateway_choice.gateway_for_business(business_id, settings, "daraja")
    if not isinstance(gateway, DarajaGateway):
        raise GatewayConfigError("the boutique's Daraja gateway is not a DarajaGateway")
    return gateway


def register(business_id: str) -> list[dict[str, Any]]:
    """Register the boutique's C2B URLs for each of its shortcodes; Daraja's answers."""
    with tenant_transaction(business_id) as conn:
        business = businesses.get_business(conn, business_id)
    if business is None:
        raise GatewayConfigError(f"no boutique {business_id}")
    gateway = daraja_gateway(business_id, business["settings"])
    confirmation = notice_url(c2b.CONFIRMATION, business_id)
    validation = notice_url(c2b.VALIDATION, business_id)
    return [
        c2b.register_urls(gateway, shortcode, confirmation, validation)
        for shortcode in code_claims.shop_shortcodes(business["settings"]).values()
    ]


def on_validation(business_id: str, body: bytes) -> Mapping[str, Any]:
    c2b.read_confirmation(body)  # unreadable: CallbackRejected
    return {"ResultCode": "0", "ResultDesc": "Accepted"}


def on_confirmation(business_id: str, body: bytes) -> Mapping[str, Any]:
    payment = c2b.read_confirmation(body)
    decided: Decided | None = None
    with tenant_transaction(business_id) as conn:
        business = businesses.get_business(conn, business_id)
        shortcodes = code_claims.shop_shortcodes(business["settings"] if business else {})
        if payment.shortcode not in shortcodes.values():
            log(
                logger,
                logging.WARNING,
                "C2B payment to a shortcode that is not the boutique's; not stored",
                business_id=business_id,
                shortcode=payment.shortcode,
            )
            return c2b.ACCEPTED
        order = _order_for_account(conn, payment.bill_ref)
        added = ledger.record_network_payment(
            conn,
            business_id=business_id,
            order_id=str(order["id"]) if order else None,
            receipt=payment.receipt,
            amount=payment.amount,
            shortcode=payment.shortcode,
            matched_by="c2b_account" if order else "c2b",
            payer_phone=payment.msisdn,
        )
        if added and order is not None:
            decided = code_claims.settle_claimed(conn, order, payment.receipt)
            if decided.verdict is Verdict.PART_PAID and layaway.is_plan(order):
                # No chat turn tells her this one: the plan's notice gives the balance.
                decided = replace(decided, queued=_instalment_notice(conn, order))
    log(
        logger,
        logging.INFO,
        "C2B payment stored" if added else "C2B payment already stored",
        business_id=business_id,
        receipt=payment.receipt,
        order_id=decided.order_id if decided else None,
    )
    publish(decided.queued if decided else None)
    return c2b.ACCEPTED


def _instalment_notice(conn: Connection, order: dict[str, Any]) -> QueuedEvent:
    return enqueue(
        conn,
        business_id=str(order["business_id"]),
        order_id=str(order["id"]),
        attempt=int(order["attempt"]),
        event=PaymentEvent.LAYAWAY_PAYMENT,
    )


def _order_for_account(conn: Connection, bill_ref: str | None) -> dict[str, Any] | None:
    """The open order or running layaway plan whose reference
    (duka.orders.push.account_reference) is the account."""
    if not bill_ref:
        return None
    return conn.execute(
        "SELECT * FROM orders WHERE status IN ('pending', 'layaway') AND NOT flagged"
        " AND upper(left(replace(id::text, '-', ''), 10)) = %s FOR UPDATE",
        (bill_ref,),
    ).fetchone()
