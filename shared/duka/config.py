"""Typed settings read once from the environment (Secret Manager values arrive as env vars)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from duka.errors import Misconfigured


class ConfigError(Misconfigured):
    """A setting is missing or wrong: fail fast and name the variable."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str | None
    gcp_project: str
    pubsub_emulator_host: str | None
    public_base_url: str
    whatsapp_webhook_url: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_api_base_url: str | None
    gemini_api_key: str | None
    gemini_model: str
    gemini_base_url: str | None
    gemini_timeout_ms: int
    paylink_base_url: str
    paylink_api_key: str | None
    paylink_username: str | None
    paylink_webhook_secret: str | None
    media_max_bytes: int
    db_pool_max: int
    burst_window_ms: int
    dashboard_session_key: str | None
    dashboard_sign_in_budget_ms: int
    dashboard_proxy_hops: int

    @property
    def is_local(self) -> bool:
        """Only the names `local` and `test` relax production rules; anything else fails closed."""
        return self.env in LOCAL_ENVIRONMENTS

    def require_database_url(self) -> str:
        if not self.database_url:
            raise ConfigError("DATABASE_URL is not set (run `duka stack env` for the local value)")
        return self.database_url

    def require_dashboard_session_key(self) -> str:
        """The key signing dashboard sessions; production refuses a missing or placeholder one."""
        key = self.dashboard_session_key
        if self.is_local:
            return key or "local-dashboard-session-key"
        if not key or key.lower() in _PLACEHOLDERS or key.startswith("local-") or len(key) < 32:
            raise ConfigError("DASHBOARD_SESSION_KEY must be set to 32+ random characters")
        return key


_PLACEHOLDERS = {"changeme", "test", "secret", "xxx"}
LOCAL_ENVIRONMENTS = frozenset({"local", "test"})


def environment_name() -> str:
    """`DUKA_ENV`, else `production` on Cloud Functions (`K_SERVICE` is set there), else `local`."""
    default = "production" if _env("K_SERVICE") else "local"
    return _env("DUKA_ENV", default) or default


def is_local_environment() -> bool:
    """The environment check for code that must not build the whole `Settings`."""
    return environment_name() in LOCAL_ENVIRONMENTS


def _check_production(settings: Settings) -> None:
    for name, value in (
        ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
        ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
        ("DATABASE_URL", settings.database_url),
        ("PUBLIC_BASE_URL", settings.public_base_url),
    ):
        if not value or value.lower() in _PLACEHOLDERS or value.startswith("local-"):
            raise ConfigError(f"{name} must be set to a real value outside DUKA_ENV=local/test")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings(
        env=environment_name(),
        database_url=_env("DATABASE_URL"),
        gcp_project=_env("GCP_PROJECT", "duka-local") or "duka-local",
        pubsub_emulator_host=_env("PUBSUB_EMULATOR_HOST"),
        public_base_url=(_env("PUBLIC_BASE_URL", "http://127.0.0.1:8080") or "").rstrip("/"),
        whatsapp_webhook_url=_env("WHATSAPP_WEBHOOK_URL")
        or (_env("PUBLIC_BASE_URL", "http://127.0.0.1:8080") or "").rstrip("/")
        + "/webhook/whatsapp",
        twilio_account_sid=_env("TWILIO_ACCOUNT_SID", "AClocal00000000000000000000000000") or "",
        twilio_auth_token=_env("TWILIO_AUTH_TOKEN", "local-twilio-token") or "",
        twilio_api_base_url=_env("TWILIO_API_BASE_URL"),
        gemini_api_key=_env("GEMINI_API_KEY"),
        gemini_model=_env("GEMINI_MODEL", "gemini-2.5-flash") or "gemini-2.5-flash",
        gemini_base_url=_env("GEMINI_BASE_URL"),
        gemini_timeout_ms=_int("GEMINI_TIMEOUT_MS", 8000),
        paylink_base_url=(_env("PAYLINK_BASE_URL", "https://api.paylink.co.ke") or "").rstrip("/"),
        paylink_api_key=_env("PAYLINK_API_KEY"),
        paylink_username=_env("PAYLINK_USERNAME"),
        paylink_webhook_secret=_env("PAYLINK_WEBHOOK_SECRET"),
        media_max_bytes=_int("MEDIA_MAX_BYTES", 5 * 1024 * 1024),
        db_pool_max=_int("DB_POOL_MAX", 8),
        burst_window_ms=_int("BURST_WINDOW_MS", 1500),
        dashboard_session_key=_env("DASHBOARD_SESSION_KEY"),
        dashboard_sign_in_budget_ms=_int("DASHBOARD_SIGN_IN_BUDGET_MS", 1500),
        dashboard_proxy_hops=_int("DASHBOARD_PROXY_HOPS", 1),
    )
    if not settings.is_local:
        _check_production(settings)
    return settings
