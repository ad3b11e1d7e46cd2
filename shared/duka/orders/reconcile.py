"""The reconciler: M-Pesa callbacks get lost, so every payment still open after a while is
asked about and its answer applied exactly as a callback would be; orders left unpaid past
their expiry are expired, their stock released and the customer told.

Flagged orders are skipped: the money M-Pesa reported does not match, so neither a status query
nor the clock may settle them. They keep their stock until the owner accepts or cancels them
on the dashboard (`duka.orders.resolution`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from duka.config import get_settings
from duka.db.pool import tenant_transaction, transaction
from duka.logs import log
from duka.orders import gateway_choice, reservations, store
from duka.orders.callbacks import OPEN_ATTEMPT, Applied, apply_result
from duka.orders.payment_events import PaymentEvent, QueuedEvent, enqueue, publish
from duka.payments import GatewayConfigError, GatewayDeclined, GatewayUnavailable, PaymentStatus
from duka.secrets import SecretConfigurationError, SecretStoreUnavailable
from duka.store import businesses

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileSettings:
    query_after_s: int  # how long a push may wait before we ask the gateway
    max_orders: int = 200

    @classmethod
    def configured(cls) -> ReconcileSettings:
        """PAYMENT_QUERY_AFTER_SECONDS from the deployment's settings."""
        return cls(query_after_s=get_settings().payment_query_after_seconds)


@dataclass
class ReconcileReport:
    queried: int = 0
    applied: int = 0
    expired: int = 0
    unreachable: int = 0


def reconcile_payments(settings: ReconcileSettings | None = None) -> ReconcileReport:
    """One pass over every tenant's open payments that are due a look."""
    settings = settings or ReconcileSettings.configured()
    with transaction() as conn:
        due = store.orders_due(conn, settings.query_after_s, settings.max_orders)
    report = ReconcileReport()
    for row in due:
        _reconcile_order(str(row["business_id"]), str(row["order_id"]), settings, report)
    if due:
        log(logger, logging.INFO, "payments reconciled", due=len(due), **vars(report))
    return report


def _reconcile_order(
    business_id: str, order_id: str, settings: ReconcileSettings, report: ReconcileReport
) -> None:
    with tenant_transaction(business_id) as conn:
        view = store.reconcile_view(conn, order_id, settings.query_after_s)
        business = businesses.get_business(conn, business_id)
    if view is None or business is None or view["status"] != "pending" or view["flagged"]:
        return
    ids = {"business_id": business_id, "order_id": order_id, "attempt": view["attempt"]}
    queryable = bool(view["checkout_request_id"]) and view["attempt_status"] in OPEN_ATTEMPT
    if queryable and (view["query_due"] or view["expiry_due"]):
        try:
            gateway = gateway_choice.gateway_for_business(
                business_id, business["settings"], name=view["gateway"]
            )
            result = gateway.query_status(view["checkout_request_id"])
        except (GatewayUnavailable, SecretStoreUnavailable) as exc:
            report.unreachable += 1
            log(
                logger,
                logging.WARNING,
                "payment status query failed; will retry",
                error=str(exc),
                **ids,
            )
            return
        except (GatewayDeclined, GatewayConfigError, SecretConfigurationError) as exc:
            # Nothing to learn from the gateway: the order still expires on time.
            log(logger, logging.ERROR, "payment status query refused", error=str(exc), **ids)
        else:
            report.queried += 1
            if result.status is not PaymentStatus.PENDING:
                if apply_result(business_id, result) is not Applied.UNCHANGED:
                    report.applied += 1
                return
    if view["expiry_due"] and expire_order(business_id, order_id, int(view["attempt"])):
        report.expired += 1


def expire_order(business_id: str, order_id: str, attempt: int) -> bool:
    """Expire an order still unpaid past its expiry, release its stock, queue the notice."""
    queued: QueuedEvent | None = None
    with tenant_transaction(business_id) as conn:
        order = store.lock_order(conn, order_id)
        view = store.reconcile_view(conn, order_id, 0)
        if order is None or view is None or not view["expiry_due"]:
            return False
        if order["status"] != "pending" or order["flagged"] or order["attempt"] != attempt:
            return False
        current = store.current_attempt(conn, order_id)
        if current is not None and current["status"] in OPEN_ATTEMPT:
            store.answer_attempt(
                conn, str(current["id"]), status="expired", failure_reason="expired"
            )
        store.end_order(conn, order_id, "expired", "expired")
        reservations.release(conn, order_id)
        queued = enqueue(
            conn,
            business_id=business_id,
            order_id=order_id,
            attempt=attempt,
            event=PaymentEvent.EXPIRED,
        )
    publish(queued)
    log(logger, logging.INFO, "unpaid order expired", business_id=business_id, order_id=order_id)
    return True
