"""Refund reversals on the wire: sending pending refunds to Daraja when their `refund_requested`
payment event reaches process_payment (the function holding the payment secrets; the dashboard
only records them), and applying the result (or queue timeout) Daraja posts back (kinds
"reversal-result" and "reversal-timeout", duka.orders.daraja_notices).

Each refund is sent once: before the request goes, a transaction of its own claims the row
(`result_desc` SENDING), so a redelivered event, even one after a crash mid-send, finds it
claimed and sends nothing; a claimed row whose send never finished stays pending, like one
whose request got no answer.

The result may be posted before the request's answer is read: each send holds a per-boutique
advisory lock until the ids Daraja answered are committed, and a result takes the same lock
before it looks them up. A request that got no answer stays pending (it may have reached
M-Pesa: never sent again); one Daraja refused or that could not be sent fails, freeing its
amount. A queue timeout means M-Pesa dropped the request unprocessed: the refund fails and the
owner may ask again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from duka.db.pool import Connection, tenant_transaction
from duka.errors import DukaError
from duka.logs import log
from duka.orders import gateway_choice, refunds
from duka.orders.daraja_notices import notice_url
from duka.outbound import deliver_pending
from duka.payments.base import GatewayConfigError
from duka.payments.daraja import DarajaGateway
from duka.payments.daraja_reversal import (
    ACKNOWLEDGEMENT,
    ReversalOutcomeUnknown,
    ReversalRequest,
    parse_result,
    request_reversal,
)
from duka.whatsapp import SendFailedTransient

logger = logging.getLogger(__name__)

RESULT_KIND = "reversal-result"
TIMEOUT_KIND = "reversal-timeout"
NO_ANSWER = "no answer from Daraja: waiting for M-Pesa's result"
SENDING = "sent to M-Pesa: waiting for its answer"


def send_requested(payload: Mapping[str, Any]) -> None:
    """process_payment's work for a `refund_requested` event: send the reversals it names."""
    business_id, refund_ids = payload.get("business_id"), payload.get("refund_ids")
    if not business_id or not isinstance(refund_ids, list) or not refund_ids:
        log(logger, logging.ERROR, "refund event without ids; acknowledged", payload=dict(payload))
        return
    sent = send_reversals(str(business_id), [str(refund_id) for refund_id in refund_ids])
    log(logger, logging.INFO, "refund event handled", business_id=business_id, sent=sent)


def send_reversals(business_id: str, refund_ids: Sequence[str]) -> dict[str, str]:
    """Send each pending reversal once; each refund's status afterwards."""
    return {refund_id: _send(business_id, refund_id) for refund_id in refund_ids}


def _send(business_id: str, refund_id: str) -> str:
    ids = {"business_id": business_id, "refund_id": refund_id}
    if not _claim(business_id, refund_id):
        return "unchanged"
    with tenant_transaction(business_id) as conn:
        _hold_the_wire(conn, business_id)
        refund = conn.execute(
            "SELECT r.*, p.receipt, b.settings FROM refunds r"
            " JOIN payments p ON p.id = r.payment_id JOIN businesses b ON b.id = r.business_id"
            " WHERE r.id = %s AND r.status = 'pending' AND r.conversation_id IS NULL"
            " AND r.result_desc = %s FOR UPDATE OF r",
            (refund_id, SENDING),
        ).fetchone()
        if refund is None:
            return "unchanged"
        try:
            accepted = request_reversal(_gateway(business_id, refund["settings"]), _request(refund))
        except ReversalOutcomeUnknown as exc:
            log(
                logger,
                logging.WARNING,
                "reversal outcome unknown; kept pending",
                error=str(exc),
                **ids,
            )
            _record(conn, refund_id, result_desc=NO_ANSWER)
            return "pending"
        except DukaError as exc:  # refused, not sent, or not set up: nothing was reversed
            log(
                logger,
                logging.WARNING,
                "reversal not requested; refund failed",
                error=str(exc),
                **ids,
            )
            _record(conn, refund_id, status="failed", result_desc=str(exc))
            return "failed"
        _record(
            conn,
            refund_id,
            originator_conversation_id=accepted.originator_conversation_id,
            conversation_id=accepted.conversation_id,
        )
        log(
            logger, logging.INFO, "reversal requested", conversation=accepted.conversation_id, **ids
        )
        return "pending"


def _claim(business_id: str, refund_id: str) -> bool:
    """Committed before the request goes: True only for the one delivery that sends it."""
    with tenant_transaction(business_id) as conn:
        claimed = conn.execute(
            "UPDATE refunds SET result_desc = %s WHERE id = %s AND status = 'pending'"
            " AND method = 'reversal' AND conversation_id IS NULL AND result_desc IS NULL"
            " RETURNING id",
            (SENDING, refund_id),
        ).fetchone()
    return claimed is not None


def _hold_the_wire(conn: Connection, business_id: str) -> None:
    """Until this transaction ends, no reversal result of this boutique is applied."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"reversal:{business_id}",))


def _gateway(business_id: str, settings: Mapping[str, Any] | None) -> DarajaGateway:
    gateway = gateway_choice.gateway_for_business(business_id, settings or {}, "daraja")
    if not isinstance(gateway, DarajaGateway):
        raise GatewayConfigError("the daraja gateway is not a Daraja adapter")
    return gateway


def _request(refund: Mapping[str, Any]) -> ReversalRequest:
    business_id = str(refund["business_id"])
    return ReversalRequest(
        receipt=str(refund["receipt"]),
        amount_kes=int(refund["amount"]),
        result_url=notice_url(RESULT_KIND, business_id),
        timeout_url=notice_url(TIMEOUT_KIND, business_id),
        remarks=refund["reason"] or "Refund",
        occasion=f"Order {str(refund['order_id'])[:8]}",
    )


def _record(conn: Connection, refund_id: str, *, status: str = "pending", **fields: str) -> None:
    conn.execute(
        "UPDATE refunds SET status = %s, originator_conversation_id = %s, conversation_id = %s,"
        " result_desc = %s, completed_at = CASE WHEN %s = 'pending' THEN NULL ELSE now() END"
        " WHERE id = %s",
        (
            status,
            fields.get("originator_conversation_id"),
            fields.get("conversation_id"),
            fields.get("result_desc"),
            status,
            refund_id,
        ),
    )


def reversal_result(business_id: str, body: bytes) -> Mapping[str, Any]:
    """Daraja's ResultURL: the reversal is done or failed."""
    _apply(business_id, body, timed_out=False)
    return ACKNOWLEDGEMENT


def reversal_timeout(business_id: str, body: bytes) -> Mapping[str, Any]:
    """Daraja's QueueTimeOutURL: M-Pesa dropped the request unprocessed."""
    _apply(business_id, body, timed_out=True)
    return ACKNOWLEDGEMENT


def _apply(business_id: str, body: bytes, *, timed_out: bool) -> None:
    result = parse_result(body, timed_out=timed_out)
    ids = {"business_id": business_id, "conversation": result.conversation_id}
    with tenant_transaction(business_id) as conn:
        _hold_the_wire(conn, business_id)
        applied = refunds.apply_result(conn, result)
    if applied is None:
        log(logger, logging.ERROR, "reversal result for no refund of this boutique", **ids)
        return
    log(
        logger,
        logging.INFO if applied.changed else logging.WARNING,
        "reversal result applied" if applied.changed else "repeated reversal result ignored",
        status=applied.status,
        result_code=result.result_code,
        **ids,
    )
    if applied.notice_for is not None:
        deliver_notice(business_id, applied.notice_for)


def deliver_notice(business_id: str, conversation_id: str) -> None:
    """Send the stored notice now; if WhatsApp is down it stays pending for a later send."""
    try:
        deliver_pending(business_id, conversation_id)
    except SendFailedTransient as exc:
        log(
            logger,
            logging.WARNING,
            "refund notice not sent yet",
            error=str(exc),
            business_id=business_id,
            conversation_id=conversation_id,
        )
