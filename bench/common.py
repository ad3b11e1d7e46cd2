"""Shared benchmark plumbing: a private local stack, percentiles, tables, result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "p99": round(percentile(values, 99), 1),
        "mean": round(statistics.fmean(values), 1) if values else float("nan"),
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
    }


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2, default=str))
    return path


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    widths = [max(len(str(x)) for x in [h, *[r[i] for r in rows]]) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


@contextmanager
def running_stack(extra_env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """A private stack on free ports; its environment is applied to this process."""
    from duka_local.stack.session import applied_stack

    home = Path(tempfile.mkdtemp(prefix="duka-bench-"))
    with applied_stack(home, extra_env=extra_env or {}, scheduler_interval=0) as env:
        yield env


Request = Callable[[httpx.Client], httpx.Response]


def latency_under_load(
    concurrency: int, total: int, requests_for: Callable[[int], Iterable[Request]]
) -> dict[str, float]:
    """Send the requests of items 0..total-1 from `concurrency` threads, each with its own
    client, timing each request alone (it is built before the clock starts); every answer must
    be 200. Latency percentiles plus requests per second."""
    local = threading.local()
    latencies: list[float] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30)
        for request in requests_for(index):
            started = time.perf_counter()
            response = request(local.client)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.text
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(total)))
    wall = time.perf_counter() - started
    return {**summary(latencies), "rps": round(len(latencies) / wall, 1)}
