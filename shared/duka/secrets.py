"""Runtime secrets that env vars cannot carry, e.g. per-boutique payment credentials.

A boutique that collects into its own account has the secret ``boutique-<business_id>-<gateway>``
(the name is derived by duka.orders.gateway_choice, never taken from settings); the function reads
it through ``get_secret_store().get(name)``. In production the value comes from Secret Manager,
elsewhere from an env var, and either way it is cached per instance.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from google.api_core import exceptions as google_exceptions

from duka.config import ConfigError, load_settings
from duka.errors import Transient

DEFAULT_TTL_SECONDS = 300.0
DEFAULT_MISSING_TTL_SECONDS = 30.0
SECRET_MANAGER_TIMEOUT_SECONDS = 10.0

# Secret Manager's own rule for secret ids; anything else could smuggle a path into the lookup.
_VALID_SECRET_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")


class SecretConfigurationError(ConfigError):
    """A configuration mistake: an operator must act, retrying will not help."""


class SecretNotFound(SecretConfigurationError):
    """The named secret does not exist, is not readable by this function, or has no value."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"secret {name!r} {reason}")
        self.name = name
        self.reason = reason


class SecretStoreUnavailable(Transient):
    """The secret backend failed transiently; raise so the message is retried."""


class SecretStore(Protocol):
    def get(self, name: str) -> str: ...


def env_var_name(secret_name: str) -> str:
    """The env var that carries a secret locally: ``daraja-boutique-x`` -> ``DARAJA_BOUTIQUE_X``."""
    return secret_name.upper().replace("-", "_")


def _check_name(name: str) -> None:
    if not _VALID_SECRET_NAME.fullmatch(name):
        raise SecretNotFound(name, "is not a valid secret name (letters, digits, '-' and '_')")


class EnvSecretStore:
    """Secrets from the environment, for the local stack and ``.env`` files."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> str:
        _check_name(name)
        value = self._environ.get(env_var_name(name), "")
        if not value:
            raise SecretNotFound(name, f"is not set: add {env_var_name(name)} to the environment")
        return value


class SecretVersionAccessor(Protocol):
    """The part of ``SecretManagerServiceClient`` this module uses."""

    def access_secret_version(self, *, name: str, timeout: float) -> Any: ...


@functools.cache
def _shared_secret_manager_client() -> SecretVersionAccessor:
    # Imported here so local runs and tests never build a gRPC channel they do not use.
    from google.cloud import secretmanager

    client: SecretVersionAccessor = secretmanager.SecretManagerServiceClient()
    return client


class SecretManagerStore:
    """Latest version of a secret in Google Secret Manager."""

    def __init__(self, project: str, client: SecretVersionAccessor | None = None) -> None:
        self._project = project
        self._client = client

    def _version_path(self, name: str) -> str:
        return f"projects/{self._project}/secrets/{name}/versions/latest"

    def get(self, name: str) -> str:
        _check_name(name)
        client = self._client or _shared_secret_manager_client()
        try:
            response = client.access_secret_version(
                name=self._version_path(name), timeout=SECRET_MANAGER_TIMEOUT_SECONDS
            )
        except google_exceptions.NotFound as error:
            raise SecretNotFound(name, f"does not exist in project {self._project}") from error
        except google_exceptions.PermissionDenied as error:
            reason = "is not readable by this function's service account (or does not exist)"
            raise SecretNotFound(name, reason) from error
        except google_exceptions.FailedPrecondition as error:
            raise SecretNotFound(name, "has no enabled version: add one") from error
        except google_exceptions.GoogleAPICallError as error:
            raise SecretStoreUnavailable(f"reading secret {name!r} failed: {error}") from error
        data: bytes = response.payload.data
        return data.decode("utf-8")


@dataclass(frozen=True)
class _CacheEntry:
    expires_at: float
    outcome: str | SecretNotFound


class CachedSecretStore:
    """Serves each secret from memory for ``ttl_seconds`` after one fetch.

    A missing secret is remembered for ``missing_ttl_seconds`` too, so a misconfigured boutique
    costs one lookup per interval instead of one per message. Transient failures are not cached.
    """

    def __init__(
        self,
        inner: SecretStore,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        missing_ttl_seconds: float = DEFAULT_MISSING_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._ttl_seconds = ttl_seconds
        self._missing_ttl_seconds = missing_ttl_seconds
        self._clock = clock
        self._entries: dict[str, _CacheEntry] = {}
        # Guards the dict only: a slow fetch must not block reads of other secrets.
        self._lock = threading.Lock()

    def get(self, name: str) -> str:
        with self._lock:
            entry = self._entries.get(name)
        if entry is not None and self._clock() < entry.expires_at:
            return _unwrap(entry)
        try:
            value = self._inner.get(name)
        except SecretNotFound as missing:
            expires_at = self._clock() + self._missing_ttl_seconds
            self._remember(name, _CacheEntry(expires_at, missing))
            raise
        self._remember(name, _CacheEntry(self._clock() + self._ttl_seconds, value))
        return value

    def _remember(self, name: str, entry: _CacheEntry) -> None:
        with self._lock:
            self._entries[name] = entry


def _unwrap(entry: _CacheEntry) -> str:
    if isinstance(entry.outcome, SecretNotFound):
        # A fresh exception each time, so tracebacks do not pile up on the cached one.
        raise SecretNotFound(entry.outcome.name, entry.outcome.reason)
    return entry.outcome


@functools.cache
def get_secret_store() -> SecretStore:
    """The process-wide store: env vars when ``DUKA_ENV`` is local/test, else Secret Manager.

    The environment is read afresh (`load_settings`): this store does not depend on the checks
    `get_settings` makes of the Twilio and database settings.
    """
    settings = load_settings()
    if settings.is_local:
        return CachedSecretStore(EnvSecretStore())
    if not settings.gcp_project:
        raise SecretConfigurationError("GCP_PROJECT must be set outside DUKA_ENV=local/test")
    return CachedSecretStore(SecretManagerStore(settings.gcp_project))
