"""Errors by category: every domain error says who acts, and the edges map categories."""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil

import pytest

import duka
from duka.config import ConfigError
from duka.db.pool import DatabaseUnavailable
from duka.errors import (
    DukaError,
    Misconfigured,
    Rejected,
    Transient,
    http_status,
    public_reason,
)
from duka.inbound import ForgedSignature, MalformedWebhook
from duka.payments import CallbackRejected, ForgedCallback, GatewayConfigError, PaymentError
from duka.publishing import acknowledge_rejected
from duka.secrets import SecretNotFound, SecretStoreUnavailable
from duka.store.businesses import UnknownBusiness

CATEGORIES = (Transient, Rejected, Misconfigured)
# A base that groups one gateway's errors across categories; each of its subclasses has one.
GROUPING_BASES = {PaymentError}


def domain_errors() -> list[type[BaseException]]:
    """Every public exception class defined in the runtime package."""
    modules = [
        importlib.import_module(info.name) for info in pkgutil.walk_packages(duka.__path__, "duka.")
    ]
    return [
        value
        for module in modules
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == module.__name__
        and not name.startswith("_")
    ]


def test_every_domain_error_belongs_to_exactly_one_category() -> None:
    errors = [e for e in domain_errors() if e.__module__ != "duka.errors"]
    assert len(errors) > 30
    uncategorised = [
        f"{e.__module__}.{e.__name__}"
        for e in errors
        if e not in GROUPING_BASES and sum(issubclass(e, c) for c in CATEGORIES) != 1
    ]
    assert uncategorised == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ForgedCallback("wrong token"), 401),
        (CallbackRejected("unreadable"), 400),
        (MalformedWebhook("MessageSid, To and From are required"), 400),
        (UnknownBusiness("+254700000000"), 404),
        (DatabaseUnavailable("connection refused"), 503),
        (SecretStoreUnavailable("backend down"), 503),
        (ConfigError("DATABASE_URL is not set"), 500),
        (GatewayConfigError("PAYLINK_API_KEY is not set"), 500),
        (SecretNotFound("boutique-x-daraja", "does not exist"), 500),
    ],
)
def test_an_edge_answers_each_category_with_its_status(error: DukaError, status: int) -> None:
    assert http_status(error) == status


def test_an_edge_may_answer_a_forgery_by_its_callers_convention() -> None:
    assert http_status(ForgedSignature("X-Twilio-Signature does not match")) == 401
    assert http_status(ForgedSignature("x"), not_authentic=403) == 403
    assert http_status(ConfigError("x"), not_authentic=403) == 500


def test_a_callback_says_whether_it_was_forged() -> None:
    assert ForgedCallback("wrong token").unauthenticated
    assert not CallbackRejected("unreadable").unauthenticated


def test_only_a_rejected_error_tells_the_caller_its_message() -> None:
    assert public_reason(UnknownBusiness("+254700000000")) == (
        "no business uses WhatsApp number +254700000000"
    )
    assert "db.internal" not in public_reason(DatabaseUnavailable("db.internal:5432 refused"))
    assert "PAYLINK_API_KEY" not in public_reason(GatewayConfigError("PAYLINK_API_KEY unset"))


def test_a_pubsub_function_acknowledges_a_rejected_event_and_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING), acknowledge_rejected("embed_product", event_id="e1"):
        raise UnknownBusiness("+254700000000")
    assert "acknowledged without retry" in caplog.text


@pytest.mark.parametrize(
    "error",
    [DatabaseUnavailable("down"), ConfigError("DATABASE_URL is not set"), KeyError("bug")],
)
def test_a_pubsub_function_raises_anything_else_so_pubsub_redelivers(error: Exception) -> None:
    with pytest.raises(type(error)), acknowledge_rejected("embed_product"):
        raise error
