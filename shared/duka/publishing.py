"""Publishing to Pub/Sub topics (the real client; the emulator when PUBSUB_EMULATOR_HOST is set)."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from duka.config import get_settings
from duka.errors import Rejected, Transient
from duka.logs import log

INBOUND_MESSAGES = "inbound-messages"
PAYMENT_EVENTS = "payment-events"
PRODUCT_CHANGED = "product-changed"
SCHEDULED_JOBS = "scheduled-jobs"
TOPICS = (INBOUND_MESSAGES, PAYMENT_EVENTS, PRODUCT_CHANGED, SCHEDULED_JOBS)

# One client per emulator host (None = real Pub/Sub): a process that points at another local
# stack (benchmarks run several in turn) must not keep publishing to the first one. The client
# library reads PUBSUB_EMULATOR_HOST itself when a client is built; the key is our reading of it.
_publishers: dict[str | None, Any] = {}
_lock = threading.Lock()
logger = logging.getLogger(__name__)


class PublishFailed(Transient):
    """Transient: the event was not accepted by Pub/Sub."""


def _get_publisher() -> Any:
    host = get_settings().pubsub_emulator_host
    with _lock:
        if host not in _publishers:
            from google.cloud import pubsub_v1  # type: ignore[attr-defined]  # heavy: import lazily

            _publishers[host] = pubsub_v1.PublisherClient(
                batch_settings=pubsub_v1.types.BatchSettings(max_latency=0.001)
            )
        return _publishers[host]


def topic_path(topic: str) -> str:
    return f"projects/{get_settings().pubsub_project}/topics/{topic}"


def publish(topic: str, payload: dict[str, Any], timeout: float = 5.0, **attributes: str) -> str:
    """Publish JSON and wait for the server's message id."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    try:
        future = _get_publisher().publish(topic_path(topic), data, **attributes)
        return str(future.result(timeout=timeout))
    except Exception as exc:  # the client raises many transport types; all mean "not published"
        raise PublishFailed(f"publish to {topic} failed: {exc}") from exc


def publish_or_defer(topic: str, payload: dict[str, Any], *, level: int, deferred: str) -> bool:
    """Publish an event that is already stored (a message, an outbox row); on failure log
    `deferred`, which says who publishes it later, and return False: it is late, not lost."""
    try:
        publish(topic, payload)
    except PublishFailed as exc:
        log(logger, level, deferred, error=str(exc), **payload)
        return False
    return True


def decode_push(event_data: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON payload and attributes of a Pub/Sub message delivered as a CloudEvent."""
    message = event_data["message"]
    raw = base64.b64decode(message.get("data", "") or b"")
    payload = json.loads(raw) if raw else {}
    return payload, dict(message.get("attributes") or {})


@contextmanager
def acknowledge_rejected(function: str, **ids: Any) -> Iterator[None]:
    """Around a Pub/Sub function's work: raise to retry, return to acknowledge.

    A Rejected event is logged and acknowledged, since delivering it again cannot change the
    outcome. Transient, Misconfigured and unexpected errors propagate: Pub/Sub redelivers, and
    after the subscription's bounded attempts moves the event to its dead-letter topic.
    """
    try:
        yield
    except Rejected as exc:
        log(
            logger,
            logging.WARNING,
            "event rejected; acknowledged without retry",
            function=function,
            error=str(exc),
            error_type=type(exc).__name__,
            **ids,
        )
