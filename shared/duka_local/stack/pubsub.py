"""The Pub/Sub emulator and the topology: topics, dead-letter topics, push subscriptions."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from duka_local.stack.processes import spawn, wait_http

MAX_DELIVERY_ATTEMPTS = 5


@dataclass(frozen=True)
class PushRoute:
    topic: str
    push_base_url: str  # the function's base URL; the topic path is appended for CloudEvents
    dead_letters: bool = False  # the function also receives the topic's dead letters


def dead_letter_topic(topic: str) -> str:
    return f"{topic}-dead-letter"


def emulator_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


def start_emulator(*, port: int, project: str, data_dir: Path, log_path: Path) -> int:
    """Start the emulator and wait until it answers."""
    pid = spawn_emulator(port=port, project=project, data_dir=data_dir, log_path=log_path)
    wait_http(emulator_url(port), timeout=60, pid=pid, log_path=log_path)
    return pid


def spawn_emulator(*, port: int, project: str, data_dir: Path, log_path: Path) -> int:
    """Start the emulator without waiting for it (see `emulator_url`)."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise RuntimeError("gcloud is not installed; the Pub/Sub emulator needs it")
    data_dir.mkdir(parents=True, exist_ok=True)
    return spawn(
        [
            gcloud,
            "beta",
            "emulators",
            "pubsub",
            "start",
            f"--host-port=127.0.0.1:{port}",
            f"--project={project}",
            f"--data-dir={data_dir}",
            "--quiet",
        ],
        env=dict(os.environ),
        log_path=log_path,
        cwd=data_dir,
    )


def create_topology(emulator_host: str, project: str, routes: list[PushRoute]) -> None:
    """Create topics and subscriptions on the emulator at emulator_host."""
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]
    from google.protobuf import duration_pb2

    saved = os.environ.get("PUBSUB_EMULATOR_HOST")
    os.environ["PUBSUB_EMULATOR_HOST"] = emulator_host  # the clients read it when built
    try:
        publisher = pubsub_v1.PublisherClient()
        subscriber = pubsub_v1.SubscriberClient()
    finally:
        if saved is None:
            del os.environ["PUBSUB_EMULATOR_HOST"]
        else:
            os.environ["PUBSUB_EMULATOR_HOST"] = saved
    for route in routes:
        for topic in (route.topic, dead_letter_topic(route.topic)):
            try:
                publisher.create_topic(name=publisher.topic_path(project, topic))
            except AlreadyExists:
                pass
        topic_path = publisher.topic_path(project, route.topic)
        dlq_path = publisher.topic_path(project, dead_letter_topic(route.topic))
        subscriptions = {
            subscriber.subscription_path(project, f"{route.topic}-push"): {
                "topic": topic_path,
                "push_config": {"push_endpoint": f"{route.push_base_url}/{topic_path}"},
                "ack_deadline_seconds": 60,
                "dead_letter_policy": {
                    "dead_letter_topic": dlq_path,
                    "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS,
                },
                "retry_policy": {
                    "minimum_backoff": duration_pb2.Duration(seconds=1),
                    "maximum_backoff": duration_pb2.Duration(seconds=10),
                },
            },
            subscriber.subscription_path(project, f"{dead_letter_topic(route.topic)}-inspect"): {
                "topic": dlq_path,
                "ack_deadline_seconds": 60,
            },
        }
        if route.dead_letters:
            name = subscriber.subscription_path(project, f"{dead_letter_topic(route.topic)}-push")
            subscriptions[name] = {
                "topic": dlq_path,
                "push_config": {"push_endpoint": f"{route.push_base_url}/{dlq_path}"},
                "ack_deadline_seconds": 60,
                "retry_policy": {
                    "minimum_backoff": duration_pb2.Duration(seconds=1),
                    "maximum_backoff": duration_pb2.Duration(seconds=10),
                },
            }
        for name, spec in subscriptions.items():
            try:
                subscriber.create_subscription(request={"name": name, **spec})
            except AlreadyExists:
                pass
