"""The stack's helper process: the gateway, the sandboxes, and the scheduler's ticks.

Run as `python -m duka_local.stack.services CONFIG.json`.
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

from duka import publishing
from duka.logs import configure_logging, log
from duka_local.sandboxes.daraja_sandbox import DarajaSandbox
from duka_local.sandboxes.paylink_sandbox import PayLinkSandbox
from duka_local.sandboxes.twilio_sandbox import TwilioSandbox
from duka_local.stack.gateway import Gateway

logger = logging.getLogger("duka_local.stack")


def _scheduler(interval: float, jobs: list[str]) -> None:
    """Cloud Scheduler's local stand-in: publish a tick per job on scheduled-jobs."""
    while True:
        time.sleep(interval)
        for job in jobs:
            try:
                publishing.publish(publishing.SCHEDULED_JOBS, {"job": job}, job=job)
            except publishing.PublishFailed as exc:
                log(
                    logger, logging.WARNING, "scheduler tick not published", job=job, error=str(exc)
                )


def _start_payment_sandboxes(config: dict[str, Any]) -> None:
    """PayLink posts callbacks to the URL set in its dashboard; Daraja to the push's URL."""
    env = config["payment_env"]
    PayLinkSandbox(
        api_key=env["PAYLINK_API_KEY"],
        username=env["PAYLINK_USERNAME"],
        webhook_secret=env["PAYLINK_WEBHOOK_SECRET"],
        callback_url=f"http://127.0.0.1:{config['gateway_port']}/webhook/paylink/callback",
    ).start(port=config["paylink_port"])
    DarajaSandbox(
        consumer_key=env["DARAJA_CONSUMER_KEY"],
        consumer_secret=env["DARAJA_CONSUMER_SECRET"],
        shortcode=env["DARAJA_SHORTCODE"],
        passkey=env["DARAJA_PASSKEY"],
        initiator_name=env["DARAJA_INITIATOR_NAME"],
        security_credential=env["DARAJA_SECURITY_CREDENTIAL"],
    ).start(port=config["daraja_port"])


def serve(config: dict[str, Any]) -> None:
    twilio = TwilioSandbox(config["twilio_account_sid"], config["twilio_auth_token"])
    twilio.start(port=config["twilio_port"])
    _start_payment_sandboxes(config)
    gateway = make_server(
        "127.0.0.1",
        config["gateway_port"],
        Gateway(config["routes"], on_whatsapp_inbound=twilio.note_inbound),
        threaded=True,
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
