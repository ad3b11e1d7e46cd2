"""Instalment prompts whose callback never came: asked about at the gateway and applied like a
callback (the reconciler does this for pending orders only). A prompt still open past the
order expiry is closed, so the customer can be prompted again; the plan itself never expires
here — only its term ends it (`layaway_jobs`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from duka.config import get_settings
from duka.db.pool import tenant_transaction, transaction
from duka.logs import log
from duka.orders import gateway_choice, store
from duka.orders.callbacks import OPEN_ATTEMPT, apply_result
from duka.payments import GatewayConfigError, GatewayDeclined, GatewayUnavailable, PaymentStatus
from duka.secrets import SecretConfigurationError, SecretStoreUnavailable
from duka.store import businesses

logger = logging.getLogger(__name__)

MAX_PROMPTS = 200


def check_open_prompts(max_prompts: int = MAX_PROMPTS) -> int:
    """Ask about every plan's instalment prompt left open too long; returns how many closed."""
    settings = get_settings()
    with transaction() as conn:
        due = conn.execute(
            "SELECT * FROM layaway_prompts_due(make_interval(secs => %s), %s)",
            (settings.payment_query_after_seconds, max_prompts),
        ).fetchall()
    closed = 0
    for row in due:
        if _check(str(row["business_id"]), str(row["order_id"]), settings.order_expiry_seconds):
            closed += 1
    return closed


def _check(business_id: str, order_id: str, expiry_s: int) -> bool:
    ids = {"business_id": business_id, "order_id": order_id}
    with tenant_transaction(business_id) as conn:
        attempt = store.current_attempt(conn, order_id)
        business = businesses.get_business(conn, business_id)
    if attempt is None or business is None or attempt["status"] not in OPEN_ATTEMPT:
        return False
    if attempt["checkout_request_id"]:
        try:
            gateway = gateway_choice.gateway_for_business(
                business_id, business["settings"], name=attempt["gateway"]
            )
            result = gateway.query_status(str(attempt["checkout_request_id"]))
        except (GatewayUnavailable, SecretStoreUnavailable) as exc:
            log(logger, logging.WARNING, "instalment status query failed", error=str(exc), **ids)
            return False
        except (GatewayDeclined, GatewayConfigError, SecretConfigurationError) as exc:
            log(logger, logging.ERROR, "instalment status query refused", error=str(exc), **ids)
        else:
            if result.status is not PaymentStatus.PENDING:
                apply_result(business_id, result)
                return True
    if attempt["created_at"] > datetime.now(UTC) - timedelta(seconds=expiry_s):
        return False
    with tenant_transaction(business_id) as conn:
        store.lock_order(conn, order_id)
        conn.execute(
            "UPDATE payment_attempts SET status = 'expired', failure_reason = 'expired',"
            " answered_at = now() WHERE id = %s AND status IN ('sending', 'pending', 'unknown')",
            (str(attempt["id"]),),
        )
    log(logger, logging.INFO, "instalment prompt expired; the plan stays open", **ids)
    return True
