"""Benchmark 6: cold start — time from process spawn to first HTTP answer, per function.

Run: python -m bench.cold_start
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import print_table, summary, write_results
from duka_local.stack.processes import free_port, spawn, stop_group, wait_http
from duka_local.stack.stack import registered_functions, repo_root


def cold_start_ms(name: str, signature: str, logs: Path) -> float:
    port = free_port()
    framework = str(Path(sys.executable).with_name("functions-framework"))
    source = repo_root() / "functions" / name / "main.py"
    env = {**os.environ, "DATABASE_URL": "postgresql://unused@127.0.0.1:1/x"}
    started = time.perf_counter()
    pid = spawn(
        [
            framework,
            "--target",
            name,
            "--source",
            str(source),
            "--port",
            str(port),
            "--signature-type",
            signature,
        ],
        env=env,
        log_path=logs / f"{name}.log",
        cwd=source.parent,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", timeout=60, pid=pid, log_path=logs / f"{name}.log")
        return (time.perf_counter() - started) * 1000
    finally:
        stop_group(pid)


def main() -> None:
    logs = Path(tempfile.mkdtemp(prefix="duka-cold-"))
    results = {}
    for name, spec in registered_functions().items():
        results[name] = summary([cold_start_ms(name, spec.signature, logs) for _ in range(3)])
    rows = [[name, r["p50"], r["p95"]] for name, r in results.items()]
    print_table(
        "Cold start: spawn → first HTTP answer (ms, 3 runs)", ["function", "p50", "max"], rows
    )
    print(f"wrote {write_results('cold_start', {'results': results})}")


if __name__ == "__main__":
    main()
