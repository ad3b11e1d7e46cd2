"""The stack's helper process: the gateway, the sandboxes, and the scheduler's ticks.

Run as `python -m duka.stack.services CONFIG.json`.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from duka.logs import configure_logging, log
from duka.sandboxes.twilio_sandbox import TwilioSandbox
from duka.stack.gateway import Gateway

logger = logging.getLogger("duka.stack")


def _scheduler(interval: float, jobs: list[str]) -> None:
    """Cloud Scheduler's local stand-in: publish a tick per job on scheduled-jobs."""
    from duka import events

    while True:
        time.sleep(interval)
        for job in jobs:
            try:
                events.publish(events.SCHEDULED_JOBS, {"job": job}, job=job)
            except events.PublishFailed as exc:
                log(
                    logger, logging.WARNING, "scheduler tick not published", job=job, error=str(exc)
                )


def serve(config: dict[str, Any]) -> None:
    twilio = TwilioSandbox(config["twilio_account_sid"], config["twilio_auth_token"])
    twilio.start(port=config["twilio_port"])
    gateway = make_server(
        "127.0.0.1", config["gateway_port"], Gateway(config["routes"]), threaded=True
    )
    if config.get("scheduler_interval"):
        threading.Thread(
            target=_scheduler,
            args=(float(config["scheduler_interval"]), config["jobs"]),
            daemon=True,
        ).start()
    log(logger, logging.INFO, "stack services ready", gateway_port=config["gateway_port"])
    gateway.serve_forever()


def main() -> None:
    configure_logging()
    serve(json.loads(Path(sys.argv[1]).read_text()))


if __name__ == "__main__":
    main()
