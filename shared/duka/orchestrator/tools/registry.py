"""The tool registry: the menu the model sees, built from typed tool functions at import.

A tool is a plain typed function `fn(deps, **arguments)`; handlers call it directly. The
registry records each one by name with the Pydantic model of its arguments, validates what
the model proposes, and generates the model's action schema from the tools it may propose
(`model_args`). The tenant, customer and conversation come from the injected TurnDeps, never
from arguments. Registering a name twice fails at import.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Optional, TypeVar

from pydantic import BaseModel, ValidationError, create_model

from duka.errors import Misconfigured, Rejected
from duka.orchestrator.deps import TurnDeps

F = TypeVar("F", bound=Callable[..., Any])


class DuplicateTool(Misconfigured):
    """A developer mistake: two tools share a name."""


class ToolInputInvalid(Rejected, ValueError):
    """Arguments the model (or customer) could fix: wrong type, unknown product, bad size."""


@dataclass(frozen=True)
class Tool:
    name: str
    category: str
    args_model: type[BaseModel]  # the function's own arguments
    fn: Callable[..., Any]
    # What the model writes to propose this tool (e.g. an item number instead of a product
    # id); None: code-only, the model never sees it.
    model_args: type[BaseModel] | None = None

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or "").strip()

    @property
    def model_visible(self) -> bool:
        return self.model_args is not None

    def call(self, deps: TurnDeps, raw_args: dict[str, Any]) -> Any:
        """Validate arguments that came from outside the code (the model), then call."""
        try:
            args = self.args_model.model_validate(raw_args)
        except ValidationError as exc:
            raise ToolInputInvalid(f"{self.name}: {exc.errors()[0]['msg']}") from exc
        return self.fn(deps, **{name: getattr(args, name) for name in type(args).model_fields})


TOOLS: dict[str, Tool] = {}


def tool(
    category: str, args_model: type[BaseModel], *, model_args: type[BaseModel] | None = None
) -> Callable[[F], F]:
    def register(fn: F) -> F:
        name = fn.__name__
        if name in TOOLS:
            raise DuplicateTool(f"tool {name!r} is registered twice")
        TOOLS[name] = Tool(name, category, args_model, fn, model_args)
        return fn

    return register


def keyword_parameters(fn: Callable[..., Any]) -> set[str]:
    """The arguments a tool function takes after `deps` (they must match its args model)."""
    return set(list(inspect.signature(fn).parameters)[1:])


def action_model() -> type[BaseModel]:
    """The schema of one action the model may propose: a visible tool's name (or "none") and
    the union of those tools' model arguments, each optional."""
    visible = [t for t in TOOLS.values() if t.model_args is not None]
    fields: dict[str, Any] = {}
    for registered in visible:
        assert registered.model_args is not None
        for name, info in registered.model_args.model_fields.items():
            fields.setdefault(name, (Optional[info.annotation], None))  # noqa: UP045 - a runtime type
    names = tuple(t.name for t in visible) + ("none",)
    # Built at import from the registry, hence a runtime Literal.
    tool_name: Any = Literal[names]
    return create_model("ProposedAction", tool=(tool_name, ...), **fields)
