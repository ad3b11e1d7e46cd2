"""The tool registry: each tool exists once, its argument model matches its function, and the
model's action schema is generated from the tools it may propose."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from duka.orchestrator.compose import AgentOutput
from duka.orchestrator.tools import TOOLS, action_model
from duka.orchestrator.tools.registry import (
    DuplicateTool,
    ToolInputInvalid,
    keyword_parameters,
    tool,
)

REGISTERED = {
    "product": {
        "search_products",
        "search_similar_products",
        "get_product_details",
        "get_other_colours",
        "find_sold_out",
    },
    "cart": {"add_to_cart", "remove_from_cart", "get_cart", "clear_cart"},
    "payment": {"initiate_mpesa_stk", "check_payment_status"},
    "customer": {"get_customer_profile", "update_customer_profile"},
    "memory": {"search_memories", "get_conversation_summary"},
}
MODEL_VISIBLE = {"add_to_cart", "remove_from_cart", "clear_cart"}


def test_every_tool_the_turn_uses_is_registered_in_its_category():
    registered: dict[str, set[str]] = {}
    for registered_tool in TOOLS.values():
        registered.setdefault(registered_tool.category, set()).add(registered_tool.name)
    assert registered == REGISTERED


def test_only_cart_changes_are_on_the_models_menu():
    assert {name for name, t in TOOLS.items() if t.model_visible} == MODEL_VISIBLE


def test_the_action_schema_is_generated_from_the_visible_tools():
    proposed = action_model()
    names = typing.get_args(proposed.model_fields["tool"].annotation)
    assert set(names) == MODEL_VISIBLE | {"none"}
    assert {"item_number", "size", "quantity"} <= set(proposed.model_fields)
    schema = AgentOutput.model_json_schema()
    assert set(schema["$defs"]["ProposedAction"]["properties"]["tool"]["enum"]) == set(names)


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_every_tool_has_a_json_schema_a_description_and_matching_arguments(name):
    registered_tool = TOOLS[name]
    schema = registered_tool.args_model.model_json_schema()
    assert schema["type"] == "object"
    assert registered_tool.description, f"{name} needs a docstring: it is what the model reads"
    assert not {"business_id", "conversation_id", "customer_phone"} & set(
        schema.get("properties", {})
    ), "identity comes from the context, never the arguments"
    assert keyword_parameters(registered_tool.fn) == set(registered_tool.args_model.model_fields)


def test_registering_a_name_twice_fails_loudly():
    class NoArgs(BaseModel):
        pass

    with pytest.raises(DuplicateTool):

        @tool("cart", NoArgs)
        def get_cart(deps):  # noqa: ANN001 - a second tool with an existing name
            return None


def test_bad_arguments_from_the_model_are_input_errors():
    with pytest.raises(ToolInputInvalid, match="add_to_cart"):
        TOOLS["add_to_cart"].call(None, {"product_id": "p1", "quantity": -3})  # type: ignore[arg-type]
