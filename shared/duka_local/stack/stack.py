"""`duka stack up/down/env`: start every piece of the local stack and record how to reach it."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

import duka
from duka_local.sandboxes import twilio_sandbox
from duka_local.stack import database, processes, pubsub
from duka_local.stack.manifest import FunctionSpec, load_functions

PROJECT = "duka-local"
LOCAL_TWILIO_SID = "AC" + "0" * 30 + "1"
LOCAL_TWILIO_TOKEN = "local-twilio-auth-token"
# The payment sandboxes' credentials; the functions reach them like the real gateways.
LOCAL_PAYMENT_ENV = {
    "PAYLINK_API_KEY": "local-paylink-api-key",
    "PAYLINK_USERNAME": "duka-local",
    "PAYLINK_WEBHOOK_SECRET": "local-paylink-webhook-secret",
    "DARAJA_CONSUMER_KEY": "local-daraja-consumer-key",
    "DARAJA_CONSUMER_SECRET": "local-daraja-consumer-secret",
    "DARAJA_PASSKEY": "local-daraja-passkey",
    "DARAJA_SHORTCODE": "174379",
    "DARAJA_CALLBACK_TOKEN": "local-daraja-callback-token",
    "DARAJA_INITIATOR_NAME": "duka-local-api",
    "DARAJA_SECURITY_CREDENTIAL": "local-daraja-security-credential",
}
LOCAL_DASHBOARD_SESSION_KEY = "local-dashboard-session-key"
SCHEDULED_JOBS = ["sweep", "reconcile", "layaway", "stock_alerts", "follow_ups", "broadcasts"]


def repo_root() -> Path:
    return Path(os.environ.get("DUKA_REPO") or Path(duka.__file__).resolve().parents[2])


def registered_functions() -> dict[str, FunctionSpec]:
    """The functions the stack runs: functions/manifest.json, which Terraform deploys too."""
    return load_functions(repo_root())


def default_home() -> Path:
    return Path(os.environ.get("DUKA_HOME") or repo_root() / ".duka")


@dataclass
class StackPorts:
    gateway: int = 8080
    emulator: int = 8085
    twilio: int = 8090
    paylink: int = 8091
    daraja: int = 8092

    @classmethod
    def random(cls) -> StackPorts:
        return cls(*(processes.free_port() for _ in range(5)))


@dataclass
class Stack:
    home: Path = field(default_factory=default_home)
    ports: StackPorts = field(default_factory=StackPorts)
    extra_env: dict[str, str] = field(default_factory=dict)
    scheduler_interval: float = 60.0
    # Share another stack's database (tests run a second stack with a different environment).
    shared_database: database.DatabaseUrls | None = None

    @property
    def state_path(self) -> Path:
        return self.home / "state.json"

    def up(self) -> dict[str, str]:
        """Start everything and return the stack's environment; idempotent when already up."""
        self.home.mkdir(parents=True, exist_ok=True)
        if self.is_up():
            return self.env()
        logs = self.home / "logs"
        pids: dict[str, int] = {}
        try:
            return self._start(logs, pids)
        except BaseException:  # leave nothing half-started behind
            processes.stop_groups(list(pids.values()))
            if self.shared_database is None:
                database.stop_local_database(self.home / "pgdata")
            raise

    def _start(self, logs: Path, pids: dict[str, int]) -> dict[str, str]:
        """Spawn every process before waiting for any (start-up is mostly imports and the JVM),
        the emulator first: it starts slowest. The database comes up before the functions, whose
        start-up checks its role."""
        pids["emulator"] = pubsub.spawn_emulator(
            port=self.ports.emulator,
            project=PROJECT,
            data_dir=self.home / "pubsub",
            log_path=logs / "emulator.log",
        )
        urls = self.shared_database or database.start_local_database(self.home / "pgdata")
        gateway_url = f"http://127.0.0.1:{self.ports.gateway}"
        env = {
            "DUKA_ENV": "local",
            "GCP_PROJECT": PROJECT,
            "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{self.ports.emulator}",
            "DATABASE_URL": urls.admin,
            "APP_DATABASE_URL": urls.app,
            "WEBHOOK_BASE_URL": gateway_url,
            "PUBLIC_BASE_URL": gateway_url,
            "TWILIO_ACCOUNT_SID": LOCAL_TWILIO_SID,
            "TWILIO_AUTH_TOKEN": LOCAL_TWILIO_TOKEN,
            "TWILIO_API_BASE_URL": f"http://127.0.0.1:{self.ports.twilio}",
            "PAYLINK_BASE_URL": f"http://127.0.0.1:{self.ports.paylink}",
            "DARAJA_BASE_URL": f"http://127.0.0.1:{self.ports.daraja}",
            **LOCAL_PAYMENT_ENV,
            "PRODUCT_IMAGE_DIR": str(self.home / "product-images"),
            "DASHBOARD_SESSION_KEY": LOCAL_DASHBOARD_SESSION_KEY,
            # Sign-in answers wait out this budget; the local sandbox sends in milliseconds.
            "DASHBOARD_SIGN_IN_BUDGET_MS": "300",
            **self.extra_env,
        }
        function_ports = self._spawn_functions(env, logs, pids)
        routes = {
            path: f"http://127.0.0.1:{function_ports[name]}"
            for name, spec in registered_functions().items()
            for path in spec.public_paths
        }
        pids["services"] = self._start_services(env, routes, logs)
        ready_at = {
            "emulator": pubsub.emulator_url(self.ports.emulator),
            **{name: f"http://127.0.0.1:{port}/" for name, port in function_ports.items()},
            "services": gateway_url + "/",
        }
        for name, url in ready_at.items():
            processes.wait_http(url, timeout=60, pid=pids[name], log_path=logs / f"{name}.log")
        push_routes = [
            pubsub.PushRoute(
                spec.topic, f"http://127.0.0.1:{function_ports[name]}", spec.dead_letters
            )
            for name, spec in registered_functions().items()
            if spec.topic
        ]
        pubsub.create_topology(env["PUBSUB_EMULATOR_HOST"], PROJECT, push_routes)
        state = {"pids": pids, "env": env, "push_routes": [asdict(r) for r in push_routes]}
        self.state_path.write_text(json.dumps(state, indent=2))
        return env

    def _state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_path.read_text()))

    def stop_emulator(self) -> None:
        """Stop the Pub/Sub emulator (tests: publishing fails until `start_emulator`)."""
        processes.stop_group(int(self._state()["pids"]["emulator"]))

    def start_emulator(self) -> None:
        """Start the emulator again with the topology; the emulator keeps no state across runs."""
        state = self._state()
        state["pids"]["emulator"] = pubsub.start_emulator(
            port=self.ports.emulator,
            project=PROJECT,
            data_dir=self.home / "pubsub",
            log_path=self.home / "logs" / "emulator.log",
        )
        routes = [pubsub.PushRoute(**route) for route in state["push_routes"]]
        pubsub.create_topology(state["env"]["PUBSUB_EMULATOR_HOST"], PROJECT, routes)
        self.state_path.write_text(json.dumps(state, indent=2))

    def stop_database(self) -> None:
        """Stop this stack's own database (tests: every query fails until `start_database`)."""
        if self.shared_database is not None:
            raise RuntimeError("this stack shares another stack's database")
        database.stop_local_database(self.home / "pgdata")

    def start_database(self) -> None:
        database.restart_local_database(self.home / "pgdata", self._state()["env"]["DATABASE_URL"])

    def _function_env(self, env: dict[str, str]) -> dict[str, str]:
        # Functions connect as the application role, which cannot bypass RLS.
        return {**os.environ, **env, "DATABASE_URL": env["APP_DATABASE_URL"]}

    def _spawn_functions(
        self, env: dict[str, str], logs: Path, pids: dict[str, int]
    ) -> dict[str, int]:
        framework = str(Path(sys.executable).with_name("functions-framework"))
        ports: dict[str, int] = {}
        for name, spec in registered_functions().items():
            ports[name] = processes.free_port()
            source = repo_root() / "functions" / name / "main.py"
            pids[name] = processes.spawn(
                [
                    framework,
                    "--target",
                    spec.entry_point,
                    "--source",
                    str(source),
                    "--port",
                    str(ports[name]),
                    "--host",
                    "127.0.0.1",
                    "--signature-type",
                    spec.signature,
                ],
                env=self._function_env(env),
                log_path=logs / f"{name}.log",
                cwd=source.parent,
            )
        return ports

    def _start_services(self, env: dict[str, str], routes: dict[str, str], logs: Path) -> int:
        config = {
            "gateway_port": self.ports.gateway,
            "twilio_port": self.ports.twilio,
            "twilio_account_sid": env["TWILIO_ACCOUNT_SID"],
            "twilio_auth_token": env["TWILIO_AUTH_TOKEN"],
            "paylink_port": self.ports.paylink,
            "daraja_port": self.ports.daraja,
            "payment_env": {key: env[key] for key in LOCAL_PAYMENT_ENV},
            "routes": routes,
            "scheduler_interval": self.scheduler_interval,
            "jobs": SCHEDULED_JOBS,
        }
        config_path = self.home / "services.json"
        config_path.write_text(json.dumps(config))
        return processes.spawn(
            [sys.executable, "-m", "duka_local.stack.services", str(config_path)],
            env=self._function_env(env),
            log_path=logs / "services.log",
            cwd=self.home,
        )

    def is_up(self) -> bool:
        if not self.state_path.exists():
            return False
        pids = json.loads(self.state_path.read_text())["pids"]
        return all(processes.is_alive(pid) for pid in pids.values())

    def env(self) -> dict[str, str]:
        if not self.state_path.exists():
            raise RuntimeError("the local stack is not running: start it with `duka stack up`")
        return dict(json.loads(self.state_path.read_text())["env"])

    def down(self) -> None:
        if self.state_path.exists():
            self._collect_outside_window()
            processes.stop_groups(list(json.loads(self.state_path.read_text())["pids"].values()))
            self.state_path.unlink()
        if self.shared_database is None:
            database.stop_local_database(self.home / "pgdata")

    def _collect_outside_window(self) -> None:
        """Before the Twilio sandbox stops, keep what it refused outside the 24-hour window
        (the test suite fails the run if anything was)."""
        try:
            response = httpx.get(f"http://127.0.0.1:{self.ports.twilio}/_sandbox/stats", timeout=5)
            twilio_sandbox.note_outside_window(list(response.json()["outside_window"]))
        except (httpx.HTTPError, ValueError, KeyError):
            pass  # the sandbox is already gone: nothing to collect

    def wait_forever(self) -> None:
        try:
            while self.is_up():
                time.sleep(1)
        finally:
            self.down()
