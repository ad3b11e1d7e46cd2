"""Scheduled jobs by name (registry as data); an unknown name is logged and acknowledged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from duka.broadcasts.job import run_broadcasts
from duka.logs import log
from duka.orders.follow_up_job import run_follow_ups
from duka.orders.layaway_jobs import run_layaway
from duka.orders.reconcile import reconcile_payments
from duka.orders.stock_alert_job import run_stock_alerts
from duka.privacy.finish import finish_deletions
from duka.privacy.retention import run_retention
from duka.relay import (
    OUTBOX_GRACE_SECONDS,
    relay_outbox,
    sweep_unanswered_inbound,
    sweep_undelivered_outbound,
)

logger = logging.getLogger(__name__)


def _sweep() -> None:
    relay_outbox(older_than_seconds=OUTBOX_GRACE_SECONDS)
    sweep_unanswered_inbound()
    sweep_undelivered_outbound()
    finish_deletions()  # a chat deletion's confirmation has gone: forget her number


def _reconcile() -> None:
    reconcile_payments()


def _layaway() -> None:
    run_layaway()


def _stock_alerts() -> None:
    run_stock_alerts()


def _follow_ups() -> None:
    run_follow_ups()


def _broadcasts() -> None:
    run_broadcasts()


def _privacy_retention() -> None:
    run_retention(datetime.now(UTC))


JOBS: dict[str, Callable[[], None]] = {
    "sweep": _sweep,
    "reconcile": _reconcile,
    "layaway": _layaway,
    "stock_alerts": _stock_alerts,
    "follow_ups": _follow_ups,
    "broadcasts": _broadcasts,
    "privacy_retention": _privacy_retention,
}


def run_job(name: str) -> None:
    job = JOBS.get(name)
    if job is None:
        log(logger, logging.ERROR, "unknown scheduled job; acknowledged", job=name)
        return
    job()
