"""Pub/Sub function (inbound-messages): answer the conversation. Raising makes Pub/Sub retry.

The same function receives the dead letters of inbound-messages (events Pub/Sub gave up on
after bounded retries) and flags them for the owner, so no message is dropped silently. That is
why every error raises here, Rejected ones too: acknowledged, an unanswerable message would
reach no owner, and the sweep would publish it again every minute.
"""

import functions_framework
from cloudevents.http import CloudEvent

from duka.db.role_check import require_safe_database_role
from duka.logs import configure_logging
from duka.nlu.model import load_intent_model
from duka.processing import is_dead_letter, process_inbound_event, record_dead_letter
from duka.publishing import decode_push

configure_logging()
require_safe_database_role()  # refuses to start as a role that could bypass RLS
load_intent_model()  # read once at cold start (bench/nlu.py), not on the first customer's turn


@functions_framework.cloud_event
def process_message(event: CloudEvent) -> None:
    payload, _ = decode_push(event.data)
    if is_dead_letter(event["source"]):
        record_dead_letter(payload)
    else:
        process_inbound_event(payload)
