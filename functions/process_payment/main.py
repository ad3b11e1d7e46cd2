"""Pub/Sub function (payment-events): tell the customer how their payment ended, once.
A Transient failure raises so Pub/Sub retries; a Rejected event is logged and acknowledged."""

import functions_framework
from cloudevents.http import CloudEvent

from duka.db.role_check import require_safe_database_role
from duka.logs import configure_logging
from duka.orders.notifications import notify_payment_event
from duka.publishing import acknowledge_rejected, decode_push

configure_logging()
require_safe_database_role()  # refuses to start as a role that could bypass RLS


@functions_framework.cloud_event
def process_payment(event: CloudEvent) -> None:
    payload, _ = decode_push(event.data)
    with acknowledge_rejected("process_payment", event_id=event["id"]):
        notify_payment_event(payload)
