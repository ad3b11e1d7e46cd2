"""The tool registry: typed functions registered by name with a Pydantic argument schema.

The tenant, customer and conversation come from the injected ToolContext, never from the
model's arguments. Registering a name twice fails at import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from duka.orchestrator.context import ToolContext

A = TypeVar("A", bound=BaseModel)


class DuplicateTool(RuntimeError):
    """A developer mistake: two tools share a name."""


class ToolInputInvalid(ValueError):
    """Arguments the model (or customer) could fix: wrong type, unknown product, bad size."""


@dataclass(frozen=True)
class Tool:
    name: str
    category: str
    args_model: type[BaseModel]
    fn: Callable[[ToolContext, Any], Any]

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or "").strip()

    def call(self, ctx: ToolContext, raw_args: dict[str, Any]) -> Any:
        try:
            args = self.args_model.model_validate(raw_args)
        except ValidationError as exc:
            raise ToolInputInvalid(f"{self.name}: {exc.errors()[0]['msg']}") from exc
        return self.fn(ctx, args)


TOOLS: dict[str, Tool] = {}


def tool(
    category: str, args_model: type[A]
) -> Callable[[Callable[[ToolContext, A], Any]], Callable[[ToolContext, A], Any]]:
    def register(fn: Callable[[ToolContext, A], Any]) -> Callable[[ToolContext, A], Any]:
        name = fn.__name__
        if name in TOOLS:
            raise DuplicateTool(f"tool {name!r} is registered twice")
        TOOLS[name] = Tool(name, category, args_model, fn)
        return fn

    return register


def call_tool(ctx: ToolContext, name: str, **args: Any) -> Any:
    if name not in TOOLS:
        raise ToolInputInvalid(f"no tool named {name!r}")
    return TOOLS[name].call(ctx, args)
