"""Pub/Sub function (product-changed): rebuild a product's search entry; redelivery is harmless."""

import functions_framework
from cloudevents.http import CloudEvent

from duka.catalog.indexing import index_product
from duka.events import decode_push
from duka.logs import configure_logging

configure_logging()


@functions_framework.cloud_event
def embed_product(event: CloudEvent) -> None:
    payload, _ = decode_push(event.data)
    index_product(payload["business_id"], payload["product_id"])
