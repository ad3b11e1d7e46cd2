"""The functions the local stack runs, from functions/manifest.json (Terraform reads it too)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from duka import publishing

MANIFEST = Path("functions") / "manifest.json"
TRIGGERS = {"http": "http", "pubsub": "cloudevent"}  # manifest trigger -> functions-framework


class InvalidManifest(ValueError):
    """functions/manifest.json names something the stack cannot run."""


@dataclass(frozen=True)
class FunctionSpec:
    entry_point: str
    signature: str  # "http" or "cloudevent", as functions-framework's --signature-type
    topic: str | None = None  # the Pub/Sub topic that triggers a cloudevent function
    public_paths: tuple[str, ...] = ()  # gateway prefixes routed to an http function
    dead_letters: bool = False  # also pushed the topic's dead letters (to flag them)


def _spec(name: str, entry: dict[str, Any]) -> FunctionSpec:
    trigger, topic = entry["trigger"], entry["topic"]
    if trigger not in TRIGGERS:
        raise InvalidManifest(f"{name}: trigger must be one of {sorted(TRIGGERS)}, not {trigger!r}")
    if (trigger == "pubsub") != (topic is not None):
        raise InvalidManifest(f"{name}: a topic is required for pubsub and forbidden for http")
    unknown = {topic, *entry["publishes"]} - {None, *publishing.TOPICS}
    if unknown:
        raise InvalidManifest(
            f"{name}: unknown topics {sorted(unknown)} (see duka.publishing.TOPICS)"
        )
    return FunctionSpec(
        entry_point=entry["entry_point"],
        signature=TRIGGERS[trigger],
        topic=topic,
        public_paths=tuple(entry["public_paths"]),
        dead_letters=entry["dead_letters"],
    )


@cache
def load_functions(repo: Path) -> dict[str, FunctionSpec]:
    """Every function in repo's manifest, by name (its functions/<name>/ folder)."""
    entries = json.loads((repo / MANIFEST).read_text())["functions"]
    return {name: _spec(name, entry) for name, entry in entries.items()}
