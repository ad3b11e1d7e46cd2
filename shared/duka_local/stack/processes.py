"""Start, watch and stop the stack's child processes (each in its own process group)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(args: list[str], *, env: dict[str, str], log_path: Path, cwd: Path) -> int:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return process.pid


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # reap it if it is our exited child
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """An exited process nobody has reaped yet (e.g. the postmaster, whose parent is init).

    Some inits (containers, sandboxes) reap orphans only every second or two; waiting for the
    pid to vanish would wait for them. Without /proc, assume it is still running.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def stop_group(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left."""
    stop_groups([pid], timeout)


def stop_groups(pids: list[int], timeout: float = 5.0) -> None:
    """Stop several process groups at once: SIGTERM them all, then SIGKILL what is left."""
    running = list(pids)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in list(running):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                running.remove(pid)
        deadline = time.monotonic() + timeout
        while running and time.monotonic() < deadline:
            running = [pid for pid in running if is_alive(pid)]
            if running:
                time.sleep(0.05)
        if not running:
            return


def wait_http(
    url: str, *, timeout: float, pid: int | None = None, log_path: Path | None = None
) -> None:
    """Wait until anything answers HTTP at url (any status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid is not None and not is_alive(pid):
            tail = log_path.read_text()[-3000:] if log_path and log_path.exists() else ""
            raise RuntimeError(f"process for {url} exited during start-up:\n{tail}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s (log: {log_path})")
