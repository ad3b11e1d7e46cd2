"""deploy.sh --dry-run: the function zips it would upload are reproducible and self-contained."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
FUNCTIONS = sorted(main.parent.name for main in REPO.glob("functions/*/main.py"))
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")

pytestmark = pytest.mark.skipif(not FUNCTIONS, reason="no functions/*/main.py to package yet")


def dry_run(build_dir: Path, repo: Path = REPO) -> dict[str, bytes]:
    """Run repo's ./deploy.sh --dry-run into build_dir; return the zips it built, by file name."""
    env = {**os.environ, "DUKA_BUILD_DIR": str(build_dir)}
    subprocess.run(
        [str(repo / "deploy.sh"), "--dry-run"], env=env, check=True, capture_output=True, timeout=60
    )
    return {path.name: path.read_bytes() for path in sorted(build_dir.glob("*.zip"))}


def copy_of_repo(destination: Path) -> Path:
    """A copy of what deploy.sh reads (script, pyproject, functions, shared), sharing .venv."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    destination.mkdir()
    for name in ("deploy.sh", "pyproject.toml"):
        shutil.copy2(REPO / name, destination / name)
    for name in ("functions", "shared"):
        shutil.copytree(REPO / name, destination / name, ignore=ignore)
    (destination / ".venv").symlink_to(REPO / ".venv")
    return destination


def append_comment(path: Path) -> None:
    path.write_text(path.read_text() + "# an edit\n")


@pytest.fixture(scope="module")
def zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return dry_run(tmp_path_factory.mktemp("first-build"))


def zip_of(zips: dict[str, bytes], function: str) -> zipfile.ZipFile:
    (name,) = [name for name in zips if name.rsplit("-", 1)[0] == function]
    return zipfile.ZipFile(io.BytesIO(zips[name]))


def test_building_twice_gives_byte_identical_zips(zips: dict[str, bytes], tmp_path: Path) -> None:
    assert dry_run(tmp_path) == zips


def test_every_function_gets_one_zip_named_after_its_content_hash(zips: dict[str, bytes]) -> None:
    for function in FUNCTIONS:
        matching = [name for name in zips if name.startswith(f"{function}-")]
        assert len(matching) == 1, f"{function}: {matching}"
        digest = hashlib.sha256(zips[matching[0]]).hexdigest()
        assert matching[0] == f"{function}-{digest}.zip"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_zip_holds_its_entry_point_the_duka_package_and_requirements(
    zips: dict[str, bytes], function: str
) -> None:
    names = set(zip_of(zips, function).namelist())

    assert {"main.py", "duka/__init__.py", "requirements.txt"} <= names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_requirements_pin_every_runtime_dependency_exactly(
    zips: dict[str, bytes], function: str
) -> None:
    text = zip_of(zips, function).read("requirements.txt").decode()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    pins = [PIN.fullmatch(line) for line in lines]
    pinned = {canonicalize_name(pin.group("name")) for pin in pins if pin}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = {canonicalize_name(Requirement(dep).name) for dep in project["dependencies"]}

    assert [line for line, pin in zip(lines, pins, strict=True) if not pin] == []
    assert runtime <= pinned
    assert not {"pytest", "mypy", "ruff"} & pinned


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_zip_holds_only_the_runtime_package_never_the_local_harness(
    zips: dict[str, bytes], function: str
) -> None:
    names = zip_of(zips, function).namelist()

    assert not [name for name in names if name.startswith("duka_local/")]
    harness_parts = {"stack", "sandboxes", "demo", "simulator.py", "cli.py", "sandbox_cli.py"}
    assert not [name for name in names if harness_parts & set(name.split("/")[1:2])]


def test_a_change_to_the_local_harness_changes_no_function_zip(tmp_path: Path) -> None:
    repo = copy_of_repo(tmp_path / "repo")
    before = dry_run(tmp_path / "before", repo)
    append_comment(repo / "shared" / "duka_local" / "sandboxes" / "paylink_sandbox.py")
    append_comment(repo / "shared" / "duka_local" / "stack" / "stack.py")
    (repo / "shared" / "duka_local" / "demo" / "catalogue.csv").write_text("sku\n")

    assert dry_run(tmp_path / "after", repo).keys() == before.keys()


def test_a_change_to_the_runtime_package_changes_every_function_zip(tmp_path: Path) -> None:
    repo = copy_of_repo(tmp_path / "repo")
    before = dry_run(tmp_path / "before", repo)
    append_comment(repo / "shared" / "duka" / "__init__.py")

    after = dry_run(tmp_path / "after", repo)
    assert len(after) == len(before) == len(FUNCTIONS)
    assert not after.keys() & before.keys()
