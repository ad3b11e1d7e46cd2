"""Runtime secret store: caching, missing-secret reporting and the Secret Manager mapping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.api_core import exceptions as google_exceptions
from google.cloud.secretmanager import AccessSecretVersionResponse, SecretPayload

from duka.secrets import (
    CachedSecretStore,
    EnvSecretStore,
    SecretConfigurationError,
    SecretManagerStore,
    SecretNotFound,
    SecretStoreUnavailable,
    get_secret_store,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStore:
    """An inner store whose secrets the test can add and whose reads it can count."""

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        self.secrets = dict(secrets or {})
        self.reads: list[str] = []
        self.outage = False

    def get(self, name: str) -> str:
        self.reads.append(name)
        if self.outage:
            raise SecretStoreUnavailable("secret backend down")
        if name not in self.secrets:
            raise SecretNotFound(name, "does not exist")
        return self.secrets[name]


class FakeSecretManagerClient:
    """Answers ``access_secret_version`` with real response types, or raises a given API error."""

    def __init__(self, values: dict[str, bytes], error: Exception | None = None) -> None:
        self.values = values
        self.error = error
        self.requested: list[str] = []

    def access_secret_version(self, *, name: str, timeout: float) -> AccessSecretVersionResponse:
        self.requested.append(name)
        if self.error is not None:
            raise self.error
        if name not in self.values:
            raise google_exceptions.NotFound(f"Secret [{name}] not found or has no versions.")
        return AccessSecretVersionResponse(name=name, payload=SecretPayload(data=self.values[name]))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fresh_secret_store_singleton() -> Iterator[None]:
    get_secret_store.cache_clear()
    yield
    get_secret_store.cache_clear()


def test_repeated_reads_within_ttl_fetch_the_secret_once(clock: FakeClock) -> None:
    inner = CountingStore({"boutique-x-daraja": "key:secret"})
    store = CachedSecretStore(inner, ttl_seconds=300, clock=clock)

    values = [store.get("boutique-x-daraja") for _ in range(3)]
    clock.now += 299

    assert store.get("boutique-x-daraja") == "key:secret"
    assert values == ["key:secret"] * 3
    assert inner.reads == ["boutique-x-daraja"]


def test_a_rotated_secret_is_picked_up_once_the_ttl_expires(clock: FakeClock) -> None:
    inner = CountingStore({"boutique-x-daraja": "old"})
    store = CachedSecretStore(inner, ttl_seconds=300, clock=clock)
    store.get("boutique-x-daraja")

    inner.secrets["boutique-x-daraja"] = "rotated"
    clock.now += 300

    assert store.get("boutique-x-daraja") == "rotated"
    assert len(inner.reads) == 2


def test_a_missing_secret_raises_an_error_naming_it(clock: FakeClock) -> None:
    store = CachedSecretStore(CountingStore(), clock=clock)

    with pytest.raises(SecretNotFound, match="boutique-y-paylink") as raised:
        store.get("boutique-y-paylink")

    assert raised.value.name == "boutique-y-paylink"
    assert isinstance(raised.value, SecretConfigurationError)


def test_a_missing_secret_is_not_looked_up_again_until_the_negative_ttl_passes(
    clock: FakeClock,
) -> None:
    inner = CountingStore()
    store = CachedSecretStore(inner, ttl_seconds=300, missing_ttl_seconds=30, clock=clock)

    for _ in range(5):
        with pytest.raises(SecretNotFound, match="boutique-y-paylink"):
            store.get("boutique-y-paylink")
        clock.now += 5
    assert inner.reads == ["boutique-y-paylink"]

    inner.secrets["boutique-y-paylink"] = "now-configured"
    clock.now += 5

    assert store.get("boutique-y-paylink") == "now-configured"
    assert len(inner.reads) == 2


def test_a_transient_backend_failure_is_retried_on_the_next_read(clock: FakeClock) -> None:
    inner = CountingStore({"boutique-x-daraja": "key:secret"})
    store = CachedSecretStore(inner, clock=clock)
    inner.outage = True
    with pytest.raises(SecretStoreUnavailable):
        store.get("boutique-x-daraja")

    inner.outage = False

    assert store.get("boutique-x-daraja") == "key:secret"


def test_env_store_reads_the_upper_snake_case_variable() -> None:
    store = EnvSecretStore({"DARAJA_BOUTIQUE_X": "local-creds"})

    assert store.get("daraja-boutique-x") == "local-creds"


def test_env_store_tells_which_variable_to_set_when_a_secret_is_missing() -> None:
    store = EnvSecretStore({})

    with pytest.raises(SecretNotFound, match="add DARAJA_BOUTIQUE_X to the environment"):
        store.get("daraja-boutique-x")


def test_secret_manager_store_reads_the_latest_version_of_the_named_secret() -> None:
    path = "projects/duka-prod/secrets/boutique-x-daraja/versions/latest"
    client = FakeSecretManagerClient({path: "κλειδί:secret".encode()})
    store = SecretManagerStore("duka-prod", client=client)

    assert store.get("boutique-x-daraja") == "κλειδί:secret"
    assert client.requested == [path]


def test_secret_manager_not_found_becomes_secret_not_found_naming_the_secret() -> None:
    store = SecretManagerStore("duka-prod", client=FakeSecretManagerClient({}))

    with pytest.raises(
        SecretNotFound, match="'boutique-z-daraja' does not exist in project duka-prod"
    ):
        store.get("boutique-z-daraja")


def test_secret_manager_permission_denied_is_reported_as_a_configuration_mistake() -> None:
    denied = google_exceptions.PermissionDenied("Permission 'secretmanager.versions.access' denied")
    store = SecretManagerStore("duka-prod", client=FakeSecretManagerClient({}, error=denied))

    with pytest.raises(SecretNotFound, match="not readable by this function's service account"):
        store.get("boutique-z-daraja")


def test_secret_manager_outage_is_reported_as_transient() -> None:
    outage = google_exceptions.ServiceUnavailable("connection reset")
    store = SecretManagerStore("duka-prod", client=FakeSecretManagerClient({}, error=outage))

    with pytest.raises(SecretStoreUnavailable, match="boutique-x-daraja"):
        store.get("boutique-x-daraja")


def test_a_secret_name_that_could_escape_its_path_is_rejected_without_a_lookup() -> None:
    client = FakeSecretManagerClient({})
    store = SecretManagerStore("duka-prod", client=client)

    with pytest.raises(SecretNotFound, match="not a valid secret name"):
        store.get("other/versions/1")
    assert client.requested == []


@pytest.mark.usefixtures("fresh_secret_store_singleton")
def test_outside_production_secrets_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUKA_ENV", "local")
    monkeypatch.setenv("PAYLINK_BOUTIQUE_X", "local-paylink-key")

    assert get_secret_store().get("paylink-boutique-x") == "local-paylink-key"
    assert get_secret_store() is get_secret_store()


@pytest.mark.usefixtures("fresh_secret_store_singleton")
def test_production_without_a_project_fails_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUKA_ENV", "production")
    monkeypatch.delenv("GCP_PROJECT", raising=False)

    with pytest.raises(SecretConfigurationError, match="GCP_PROJECT"):
        get_secret_store()
