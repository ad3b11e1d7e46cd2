"""A private stack whose environment is applied to this process while it runs (tests, benches)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from duka.config import get_settings
from duka.db.pool import close_pools
from duka_local.stack.stack import Stack, StackPorts


@contextmanager
def applied_stack(
    home: Path, *, extra_env: dict[str, str] | None = None, scheduler_interval: float = 0.0
) -> Iterator[dict[str, str]]:
    """Start a stack on free ports under `home`, point this process at it, stop it after."""
    stack = Stack(
        home=home,
        ports=StackPorts.random(),
        extra_env=extra_env or {},
        scheduler_interval=scheduler_interval,
    )
    env = stack.up()
    saved = dict(os.environ)
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield env
    finally:
        close_pools()
        stack.down()
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
