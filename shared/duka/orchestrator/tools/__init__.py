"""Tools by category; importing this package registers all of them."""

from duka.orchestrator.tools import (  # noqa: F401 - imported to register
    cart,
    customers,
    memory,
    payments,
    products,
)
from duka.orchestrator.tools.registry import TOOLS, Tool, action_model

__all__ = ["TOOLS", "Tool", "action_model"]
