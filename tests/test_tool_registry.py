"""The tool registry: every tool of the design exists once, with a schema that builds."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from duka.orchestrator.tools import TOOLS
from duka.orchestrator.tools.registry import DuplicateTool, ToolInputInvalid, call_tool, tool

DESIGN_TOOLS = {
    "product": {
        "get_inventory",
        "search_products",
        "search_similar_products",
        "get_product_details",
    },
    "cart": {"add_to_cart", "remove_from_cart", "get_cart", "clear_cart"},
    "payment": {"initiate_mpesa_stk", "check_payment_status", "process_payment_callback"},
    "image": {"analyze_image", "download_whatsapp_image", "generate_embedding"},
    "customer": {"get_customer_profile", "update_customer_profile", "get_purchase_history"},
    "memory": {"save_memory", "search_memories", "get_conversation_summary"},
}


def test_every_tool_in_the_design_is_registered_in_its_category():
    registered: dict[str, set[str]] = {}
    for registered_tool in TOOLS.values():
        registered.setdefault(registered_tool.category, set()).add(registered_tool.name)
    assert registered == DESIGN_TOOLS


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_every_tool_has_a_json_schema_and_a_description(name):
    registered_tool = TOOLS[name]
    schema = registered_tool.args_model.model_json_schema()
    assert schema["type"] == "object"
    assert registered_tool.description, f"{name} needs a docstring: it is what the model reads"
    assert not {"business_id", "conversation_id", "customer_phone"} & set(
        schema.get("properties", {})
    ), "identity comes from the context, never the arguments"


def test_registering_a_name_twice_fails_loudly():
    class NoArgs(BaseModel):
        pass

    with pytest.raises(DuplicateTool):

        @tool("cart", NoArgs)
        def get_cart(ctx, args):  # noqa: ANN001 - a second tool with an existing name
            return None


def test_unknown_tools_and_bad_arguments_are_input_errors():
    with pytest.raises(ToolInputInvalid, match="no tool named"):
        call_tool(None, "transfer_money")  # type: ignore[arg-type]
    with pytest.raises(ToolInputInvalid, match="add_to_cart"):
        call_tool(None, "add_to_cart", product_id="p1", quantity=-3)  # type: ignore[arg-type]
