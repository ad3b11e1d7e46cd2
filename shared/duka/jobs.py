"""Scheduled jobs by name (registry as data); an unknown name is logged and acknowledged."""

from __future__ import annotations

import logging
from collections.abc import Callable

from duka.logs import log
from duka.orders.reconcile import reconcile_payments
from duka.relay import relay_outbox, sweep_unanswered_inbound

logger = logging.getLogger(__name__)


def _sweep() -> None:
    relay_outbox()
    sweep_unanswered_inbound()


def _reconcile() -> None:
    reconcile_payments()


JOBS: dict[str, Callable[[], None]] = {"sweep": _sweep, "reconcile": _reconcile}


def run_job(name: str) -> None:
    job = JOBS.get(name)
    if job is None:
        log(logger, logging.ERROR, "unknown scheduled job; acknowledged", job=name)
        return
    job()
