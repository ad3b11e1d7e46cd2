"""One `Settings`: every variable the runtime reads, README's table generated from it.

`.venv/bin/python -m tests.test_settings` prints the README's "## Configuration" section.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic.fields import FieldInfo

from duka.config import ConfigError, Settings, env_name, get_settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "shared" / "duka"
# Modules that touch os.environ on purpose (see duka.config's docstring): the local secret
# store, the log scrubber, and the embedder that sets Hugging Face's offline switches.
ENVIRON_ON_PURPOSE = {"secrets.py", "logs.py", "embeddings/local.py"}

SECTION_INTRO = """\
Every setting is an environment variable, read once per process into `duka.config.Settings`
(pydantic-settings); in production Secret Manager values arrive as environment variables. A
malformed value stops the function with a `ConfigError` naming the variable, and outside
`DUKA_ENV=local`/`test` placeholder credentials are refused. The table is generated from the
fields' descriptions (`.venv/bin/python -m tests.test_settings`); `tests/test_settings.py` fails
when it and the code differ.
"""

SECTION_OUTRO = """\
A boutique that collects into its own account keeps its gateway keys in the secret
`boutique-<business_id>-<gateway>`, not in these variables ([Choosing the gateway for a
boutique](#choosing-the-gateway-for-a-boutique)). The local harness (`duka_local`, never
deployed) also reads `DUKA_HOME` (its state, default `.duka/`), `DUKA_REPO` (the checkout it
runs), and the variables a running stack exports (`DATABASE_URL` as the admin URL,
`WEBHOOK_BASE_URL`, the sandboxes' `PAYLINK_BASE_URL` and `DARAJA_BASE_URL`).
"""


def shown_default(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "shown_default" in extra:
        return str(extra["shown_default"])
    return "—" if field.default is None else f"`{field.default}`"


def configuration_rows() -> list[tuple[str, str, str]]:
    return [
        (env_name(name), shown_default(field), field.description or "")
        for name, field in Settings.model_fields.items()
    ]


def configuration_section() -> str:
    rows = "".join(
        f"| `{name}` | {default} | {meaning} |\n" for name, default, meaning in configuration_rows()
    )
    table = "| variable | default | meaning |\n|---|---|---|\n" + rows
    return f"## Configuration\n\n{SECTION_INTRO}\n{table}\n{SECTION_OUTRO}"


def readme_rows(readme: str) -> list[tuple[list[str], str]]:
    """(variable names, default cell) of each row of the table under `## Configuration`."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    parsed = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        parsed.append((re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]), cells[1]))
    return parsed


def test_every_field_has_a_description() -> None:
    undescribed = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undescribed == []


def test_the_readme_lists_exactly_the_settings_with_their_defaults() -> None:
    rows = readme_rows((ROOT / "README.md").read_text())
    documented = [name for names, _ in rows for name in names]
    defaults = {name: default for names, default in rows for name in names}
    expected = [(name, default) for name, default, _ in configuration_rows()]
    assert (documented, defaults) == ([name for name, _ in expected], dict(expected)), (
        "README's Configuration section must be:\n\n" + configuration_section()
    )


def test_the_runtime_reads_the_environment_only_through_settings() -> None:
    touching = set()
    for path in RUNTIME.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                touching.add(path.relative_to(RUNTIME).as_posix())
    assert touching == ENVIRON_ON_PURPOSE


@pytest.fixture()
def environment(settings_env: Callable[..., None]) -> Iterator[Callable[..., None]]:
    """A local environment with nothing of the stack's, to set variables on."""
    unset: dict[str, str | None] = {env_name(name): None for name in Settings.model_fields}
    settings_env(**unset | {"DUKA_ENV": "test"})
    yield settings_env


def test_defaults_and_values_derived_from_others(environment: Callable[..., None]) -> None:
    defaults = get_settings()
    environment(PUBLIC_BASE_URL="https://duka.example/", EMBEDDINGS=" Local ")
    configured = get_settings()

    assert (defaults.whatsapp_webhook_url, defaults.pubsub_project, defaults.environment) == (
        "http://127.0.0.1:8080/webhook/whatsapp",
        "duka-local",
        "test",
    )
    assert (configured.public_base_url, configured.whatsapp_webhook_url) == (
        "https://duka.example",
        "https://duka.example/webhook/whatsapp",
    )
    assert configured.embeddings == "local"


def test_settings_are_read_once_until_the_cache_is_cleared(
    environment: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_settings()
    monkeypatch.setenv("ORDER_EXPIRY_SECONDS", "60")

    assert get_settings() is first and first.order_expiry_seconds == 900
    get_settings.cache_clear()
    assert get_settings().order_expiry_seconds == 60


def test_an_empty_variable_counts_as_unset(environment: Callable[..., None]) -> None:
    environment(GEMINI_TIMEOUT_MS="", PAYMENT_GATEWAY="")

    assert (get_settings().gemini_timeout_ms, get_settings().payment_gateway) == (8000, "paylink")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GEMINI_TIMEOUT_MS", "8s"),
        ("ORDER_EXPIRY_SECONDS", "15m"),
        ("RATE_LIMIT_CUSTOMER_PER_MINUTE", "0"),
        ("EMBEDDINGS", "openai"),
        ("GEMINI_EMBEDDING_DIMENSION", "0"),
    ],
)
def test_a_malformed_value_is_a_config_error_naming_the_variable(
    environment: Callable[..., None], variable: str, value: str
) -> None:
    environment(**{variable: value})

    with pytest.raises(ConfigError, match=f"^{variable}: .*got '{value}'$"):
        get_settings()


@pytest.mark.parametrize(
    ("env", "k_service", "expected"),
    [
        (None, None, "local"),
        (None, "process_message", "production"),
        ("test", "process_message", "test"),
        ("staging", None, "staging"),
        ("Local", None, "Local"),  # not relaxed: only the exact names are
    ],
)
def test_the_environment_fails_closed(
    environment: Callable[..., None], env: str | None, k_service: str | None, expected: str
) -> None:
    environment(DUKA_ENV=env, K_SERVICE=k_service)

    settings = load_settings()
    assert (settings.environment, settings.is_local) == (expected, expected in ("local", "test"))


def test_outside_local_placeholder_credentials_are_refused_by_name(
    environment: Callable[..., None],
) -> None:
    environment(DUKA_ENV="staging")
    with pytest.raises(ConfigError, match="^TWILIO_AUTH_TOKEN must be set"):
        get_settings()

    environment(TWILIO_AUTH_TOKEN="a-real-looking-token-0123456789")
    with pytest.raises(ConfigError, match="^DATABASE_URL must be set"):
        get_settings()


def test_gateways_see_only_the_payment_variables_that_are_set(
    environment: Callable[..., None],
) -> None:
    environment(PAYLINK_API_KEY="pk", DARAJA_SHORTCODE="600000", GEMINI_API_KEY="gk")

    assert get_settings().gateway_environment() == {
        "PAYLINK_BASE_URL": "https://api.paylink.co.ke",
        "PAYLINK_API_KEY": "pk",
        "DARAJA_BASE_URL": "https://api.safaricom.co.ke",
        "DARAJA_SHORTCODE": "600000",
    }


def test_secrets_stay_out_of_the_settings_repr(environment: Callable[..., None]) -> None:
    environment(DASHBOARD_SESSION_KEY="s" * 40, PAYLINK_API_KEY="pk-secret-value")

    assert "s" * 40 not in repr(get_settings()) and "pk-secret-value" not in repr(get_settings())


if __name__ == "__main__":
    print(configuration_section(), end="")
