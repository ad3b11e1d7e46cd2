"""Pub/Sub function (inbound-messages): answer the conversation. Raising makes Pub/Sub retry."""

import functions_framework
from cloudevents.http import CloudEvent

from duka.events import decode_push
from duka.logs import configure_logging
from duka.processing import process_inbound_event

configure_logging()


@functions_framework.cloud_event
def process_message(event: CloudEvent) -> None:
    payload, _ = decode_push(event.data)
    process_inbound_event(payload)
