"""Point a `duka` command's process at the running default stack (`duka stack up`)."""

from __future__ import annotations

import os

from duka.config import get_settings
from duka_local.stack.stack import Stack, default_home


def use_stack_env() -> dict[str, str]:
    """Point this process at the running stack unless the environment already says where to go."""
    env = Stack().env() if "DATABASE_URL" not in os.environ else dict(os.environ)
    for key, value in env.items():
        os.environ.setdefault(key, value)
    # Catalogue images go to the stack's folder unless Supabase (or another folder) is configured.
    os.environ.setdefault("PRODUCT_IMAGE_DIR", str(default_home() / "product-images"))
    get_settings.cache_clear()
    return env
