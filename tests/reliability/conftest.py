"""Fixtures of the reliability suite; the session `stack` (tests/conftest.py) runs underneath."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from duka_local.sandboxes.gemini_fake import FakeGemini, Reply
from tests.reliability.support import Boutique, Twilio, admin, create_boutique

DRAFT_MARKER = "Draft reply with the correct facts (improve its wording): "
UNREACHABLE_GATEWAY = "daraja"  # on the online stack nothing listens at DARAJA_BASE_URL


@pytest.fixture(scope="module")
def shop(stack: dict[str, str]) -> Boutique:
    """A boutique of the small catalogue, shared by a module's tests (each uses new customers)."""
    return create_boutique()


@pytest.fixture(scope="module")
def db(stack: dict[str, str]) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with admin(stack) as conn:
        yield conn


@pytest.fixture()
def twilio(stack: dict[str, str]) -> Iterator[Twilio]:
    control = Twilio(stack)
    yield control
    control.clear_failures()  # a test's unused failures must not hit the next test


@pytest.fixture(scope="session")
def gemini() -> Iterator[FakeGemini]:
    """A fake Gemini on loopback; tests script failures or a compromised model's answers."""
    with FakeGemini(default=echo_draft) as fake:
        yield fake


@pytest.fixture(scope="session")
def online_stack(
    stack: dict[str, str], gemini: FakeGemini, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Functions with the model on (the fake Gemini, the production timeout), sharing the
    session stack's database. Daraja (UNREACHABLE_GATEWAY) is on a port where nothing listens:
    a boutique that chooses it finds its gateway down."""
    from duka_local.stack.database import DatabaseUrls
    from duka_local.stack.processes import free_port
    from duka_local.stack.stack import Stack, StackPorts

    online = Stack(
        home=tmp_path_factory.mktemp("duka-reliability-online"),
        ports=StackPorts.random(),
        scheduler_interval=0,
        shared_database=DatabaseUrls(admin=stack["DATABASE_URL"], app=stack["APP_DATABASE_URL"]),
        extra_env={
            "GEMINI_API_KEY": gemini.api_key,
            "GEMINI_BASE_URL": gemini.base_url,
            "EMBEDDINGS": "local",
            "DARAJA_BASE_URL": f"http://127.0.0.1:{free_port()}",
        },
    )
    env = online.up()
    yield env
    online.down()


def echo_draft(request_json: dict[str, Any]) -> Reply:
    """A well-behaved model: the draft it was given, as its reply."""
    text = "".join(
        p.get("text", "") for c in request_json.get("contents", []) for p in c.get("parts", [])
    )
    draft = text.split(DRAFT_MARKER, 1)[-1]
    return Reply({"reply_text": draft, "actions": [], "intent": "x", "entities": []})
