"""Pub/Sub function (scheduled-jobs, fed by Cloud Scheduler): background sweeps and relays.
A Transient failure raises so Pub/Sub retries; a Rejected one is logged and acknowledged."""

import functions_framework
from cloudevents.http import CloudEvent

from duka.db.role_check import require_safe_database_role
from duka.jobs import run_job
from duka.logs import configure_logging
from duka.publishing import acknowledge_rejected, decode_push

configure_logging()
require_safe_database_role()  # refuses to start as a role that could bypass RLS


@functions_framework.cloud_event
def scheduled_jobs(event: CloudEvent) -> None:
    payload, attributes = decode_push(event.data)
    job = attributes.get("job") or payload.get("job", "")
    with acknowledge_rejected("scheduled_jobs", event_id=event["id"], job=job):
        run_job(job)
