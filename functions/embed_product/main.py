"""Pub/Sub function (product-changed): rebuild a product's search entry and embedding.

Redelivery is harmless (unchanged content is skipped); a Transient failure raises so Pub/Sub
retries, a Rejected event is logged and acknowledged.
The embedding model loads on the first event and is then reused by this process.
"""

import functions_framework
from cloudevents.http import CloudEvent

from duka.catalog.indexing import index_product
from duka.db.role_check import require_safe_database_role
from duka.logs import configure_logging
from duka.publishing import acknowledge_rejected, decode_push

configure_logging()
require_safe_database_role()  # refuses to start as a role that could bypass RLS


@functions_framework.cloud_event
def embed_product(event: CloudEvent) -> None:
    payload, _ = decode_push(event.data)
    with acknowledge_rejected("embed_product", event_id=event["id"]):
        index_product(payload["business_id"], payload["product_id"])
