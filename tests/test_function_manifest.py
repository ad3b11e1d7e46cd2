"""functions/manifest.json is the one function registry: the local stack and Terraform read it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from duka_local.stack.manifest import InvalidManifest, load_functions
from duka_local.stack.stack import registered_functions

REPO = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((REPO / "functions" / "manifest.json").read_text())


def test_every_function_folder_has_one_entry_and_every_entry_a_folder() -> None:
    folders = {main.parent.name for main in REPO.glob("functions/*/main.py")}
    assert set(MANIFEST["functions"]) == folders


@pytest.mark.parametrize("name", sorted(MANIFEST["functions"]))
def test_each_entry_point_is_a_top_level_function_of_its_main(name: str) -> None:
    tree = ast.parse((REPO / "functions" / name / "main.py").read_text())
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert MANIFEST["functions"][name]["entry_point"] in defined


def test_the_local_stack_runs_what_the_manifest_lists() -> None:
    functions = registered_functions()

    assert set(functions) == set(MANIFEST["functions"])
    assert functions["whatsapp_inbound"].signature == "http"
    assert functions["whatsapp_inbound"].public_paths == ("/webhook/whatsapp",)
    assert functions["paylink_callback"].public_paths == ("/webhook/paylink", "/webhook/daraja")
    assert functions["process_message"].signature == "cloudevent"
    assert functions["process_message"].topic == "inbound-messages"
    assert [name for name, spec in functions.items() if spec.dead_letters] == ["process_message"]


def test_terraform_reads_the_manifest_instead_of_listing_functions() -> None:
    terraform = (REPO / "infra" / "terraform" / "functions.tf").read_text()

    assert 'jsondecode(file("${path.module}/../../functions/manifest.json"))' in terraform
    assert "for name, f in local.manifest.functions" in terraform
    assert not [name for name in MANIFEST["functions"] if f"{name} = {{" in terraform]


def _manifest_with(tmp_path: Path, **changes: object) -> Path:
    entry = {**MANIFEST["functions"]["embed_product"], **changes}
    (tmp_path / "functions").mkdir()
    (tmp_path / "functions" / "manifest.json").write_text(json.dumps({"functions": {"f": entry}}))
    return tmp_path


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"topic": "no-such-topic"}, "unknown topics"),
        ({"publishes": ["no-such-topic"]}, "unknown topics"),
        ({"topic": None}, "a topic is required"),
        ({"trigger": "cron"}, "trigger must be one of"),
    ],
)
def test_the_stack_refuses_a_manifest_entry_it_could_not_run(
    tmp_path: Path, changes: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidManifest, match=reason):
        load_functions(_manifest_with(tmp_path, **changes))
