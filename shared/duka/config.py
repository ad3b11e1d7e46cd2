"""Every environment variable the runtime reads, typed, in one `Settings` (pydantic-settings).

Secret Manager values arrive as environment variables too. `get_settings()` reads them once per
process (tests change the environment, then call `get_settings.cache_clear()`); outside
`DUKA_ENV=local`/`test` it refuses placeholder credentials. A malformed value raises
`ConfigError` naming the variable. README's "Configuration" table lists these fields, from their
descriptions (tests/test_settings.py keeps the two equal).

Read elsewhere, on purpose: `duka.secrets.EnvSecretStore` (local secrets, whose variable names
are derived from secret names) and `duka.logs` (scrubs the value of any variable named like a
credential). `duka.embeddings.local` sets, never reads, the Hugging Face offline switches.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from duka.errors import Misconfigured


class ConfigError(Misconfigured):
    """A setting is missing or wrong: fail fast and name the variable."""


LOCAL_ENVIRONMENTS = frozenset({"local", "test"})
_PLACEHOLDERS = {"changeme", "test", "secret", "xxx"}
_GATEWAY_PREFIXES = ("paylink_", "daraja_")


def _shown(default: str) -> Any:
    """The default README shows where the field's own (None, or a derived value) would mislead."""
    return {"shown_default": default}


class Settings(BaseSettings):
    """Each field is the environment variable of the same name in upper case."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_ignore_empty=True)

    # Where this process runs
    duka_env: str | None = Field(
        default=None,
        description="only `local` and `test` are relaxed; any other value (`staging`, a typo) "
        "behaves as production: placeholder secrets refused, `Secure` cookies, Secret Manager, "
        "no sign-in codes in logs",
        json_schema_extra=_shown("`local`; `production` when `K_SERVICE` is set"),
    )
    k_service: str | None = Field(
        default=None,
        description="set by Cloud Functions (the function's name); "
        "makes `production` the default environment",
    )
    gcp_project: str | None = Field(
        default=None,
        description="project of the Pub/Sub topics and of Secret Manager, which is used "
        "outside `local`/`test` and needs it",
        json_schema_extra=_shown("`duka-local`"),
    )
    pubsub_emulator_host: str | None = Field(
        default=None, description="set by the local stack: publish to the Pub/Sub emulator"
    )

    # Database
    database_url: str | None = Field(
        default=None,
        repr=False,
        description="PostgreSQL URL of the application role `duka_app` (Supabase in "
        "production); a function refuses to start as a role that could bypass RLS "
        "(`duka db provision-app-role`)",
        json_schema_extra=_shown("— (the stack sets it)"),
    )
    db_pool_max: int = Field(default=8, description="connections per function instance")

    # Webhooks and WhatsApp (Twilio)
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="public base URL of the webhooks (payment callback URLs are built from it)",
    )
    whatsapp_webhook_url: str = Field(
        default="",
        validate_default=True,
        description="the exact URL configured in Twilio; `X-Twilio-Signature` is checked "
        "against it (Terraform sets the function's own URL)",
        json_schema_extra=_shown("`PUBLIC_BASE_URL` + `/webhook/whatsapp`"),
    )
    twilio_account_sid: str = Field(
        default="AClocal00000000000000000000000000", description="Twilio account SID"
    )
    twilio_auth_token: str = Field(
        default="local-twilio-token",
        repr=False,
        description="Twilio auth token; also checks `X-Twilio-Signature`",
    )
    twilio_api_base_url: str | None = Field(
        default=None,
        description="points the twilio SDK at the local sandbox",
        json_schema_extra=_shown("— (Twilio)"),
    )
    media_max_bytes: int = Field(
        default=5 * 1024 * 1024, description="largest customer photo accepted"
    )
    burst_window_ms: int = Field(
        default=1500, description="how long an opening message waits for the rest of a burst"
    )
    sweep_unanswered_after_seconds: int = Field(
        default=60,
        description="the sweep republishes customer messages unanswered this long, and delivers"
        " outbound messages still pending this long",
    )

    # The model
    gemini_api_key: str | None = Field(
        default=None,
        repr=False,
        description="absent = offline mode: deterministic replies from templates",
    )
    gemini_model: str = Field(
        default="gemini-2.5-flash", description="model for the single reasoning call"
    )
    gemini_base_url: str | None = Field(
        default=None,
        description="points google-genai at the fake Gemini in tests",
        json_schema_extra=_shown("— (Google)"),
    )
    gemini_timeout_ms: int = Field(
        default=8000, description="after this the template reply is used"
    )
    gemini_transcribe_model: str = Field(
        default="gemini-2.5-flash", description="model that transcribes a customer's voice note"
    )
    gemini_transcribe_timeout_ms: int = Field(
        default=8000,  # like GEMINI_TIMEOUT_MS: the "type it, please" reply still comes in 10 s
        description="after this the customer is asked to type the voice note's message",
    )

    # Catalogue
    embeddings: Literal["auto", "gemini", "local"] = Field(
        default="auto",
        description="`auto`: Gemini embeddings when `GEMINI_API_KEY` is set, else local MiniLM; "
        "`gemini` requires the key; `local` forces MiniLM",
    )
    gemini_embedding_dimension: int = Field(
        default=768,
        ge=1,
        description="output size of gemini-embedding-001, up to 2000 (pgvector's index limit); "
        "only 768 has an HNSW index",
    )
    supabase_url: str | None = Field(
        default=None,
        description="with `SUPABASE_SERVICE_ROLE_KEY`: product images go to Supabase Storage",
    )
    supabase_service_role_key: str | None = Field(
        default=None,
        repr=False,
        description="with `SUPABASE_URL`: product images go to Supabase Storage",
    )
    supabase_storage_bucket: str = Field(
        default="product-images", description="bucket for product images"
    )
    product_image_dir: str | None = Field(
        default=None,
        description="local image folder when Supabase is not configured; with neither, storing "
        "an image fails with a configuration error naming both",
        json_schema_extra=_shown(
            "— (the local stack and the `duka` command set `.duka/product-images`)"
        ),
    )

    # Payments: the deployment's gateway settings (duka.orders.gateway_choice)
    payment_gateway: str = Field(
        default="paylink", description="gateway for a business whose settings don't choose one"
    )
    paylink_base_url: str = Field(
        default="https://api.paylink.co.ke", description="PayLink API base"
    )
    paylink_api_key: str | None = Field(
        default=None, repr=False, description="PayLink key, sent as `Authorization: Bearer <key>`"
    )
    paylink_username: str | None = Field(
        default=None, description="PayLink username, sent as `X-PayLink-Username`"
    )
    paylink_webhook_secret: str | None = Field(
        default=None,
        repr=False,
        description="key of PayLink's callback signature "
        "`X-PayLink-Signature: sha256=<HMAC of the raw body>`",
    )
    daraja_base_url: str = Field(
        default="https://api.safaricom.co.ke",
        description="Daraja API base; `https://sandbox.safaricom.co.ke` to test",
    )
    daraja_consumer_key: str | None = Field(
        default=None, repr=False, description="Daraja app's consumer key (OAuth client credentials)"
    )
    daraja_consumer_secret: str | None = Field(
        default=None, repr=False, description="Daraja app's consumer secret"
    )
    daraja_passkey: str | None = Field(
        default=None,
        repr=False,
        description="the Lipa Na M-Pesa Online passkey Safaricom sends at go-live",
    )
    daraja_shortcode: str | None = Field(
        default=None, description="the paybill number, or for a till the store (head office) number"
    )
    daraja_transaction_type: str | None = Field(
        default=None,
        description="`CustomerPayBillOnline` or `CustomerBuyGoodsOnline` (a till)",
        json_schema_extra=_shown("`CustomerPayBillOnline`"),
    )
    daraja_party_b: str | None = Field(
        default=None,
        description="the till number for Buy Goods; a paybill's is its shortcode",
        json_schema_extra=_shown("`DARAJA_SHORTCODE`"),
    )
    daraja_callback_token: str | None = Field(
        default=None,
        repr=False,
        description="a long random secret of ours (`openssl rand -hex 32`); each boutique's "
        "callback path carries HMAC-SHA256 of it and the business id",
    )
    daraja_initiator_name: str | None = Field(
        default=None,
        description="the API operator created on the M-Pesa org portal; Transaction Status "
        "(checking a pasted code) and Reversal (refunds) need it",
    )
    daraja_security_credential: str | None = Field(
        default=None,
        repr=False,
        description="that operator's password encrypted with Safaricom's certificate "
        "(the org portal's or Daraja's 'security credential' tool)",
    )
    order_expiry_seconds: int = Field(
        default=900, description="how long an unpaid order holds its stock"
    )
    payment_query_after_seconds: int = Field(
        default=120,
        description="when the reconciler starts asking the gateway about an open payment",
    )

    # Abuse limits (duka.ratelimit)
    rate_limit_customer_per_minute: int = Field(
        default=20,
        ge=1,
        description="messages one customer may send a minute before the agent pauses",
    )
    rate_limit_business_per_minute: int = Field(
        default=600,
        ge=1,
        description="messages one boutique may receive a minute before new ones get a busy notice",
    )
    stk_pushes_per_phone_per_hour: int = Field(
        default=5,
        ge=1,
        description="M-Pesa prompts one phone may receive an hour, across boutiques",
    )
    other_payers_per_customer_per_day: int = Field(
        default=2,
        ge=1,
        description="distinct numbers other than their own a customer may pay from in 24 hours",
    )
    customers_per_other_payer_per_day: int = Field(
        default=2,
        ge=1,
        description="distinct customers of a boutique that may name one number as payer "
        "in 24 hours",
    )

    # Owner dashboard
    dashboard_base_url: str = Field(
        default="",
        validate_default=True,
        description="public base URL of the dashboard function (its pages are under "
        "`/dashboard`); the privacy notice and data download links sent to customers start "
        "with it",
        json_schema_extra=_shown("`PUBLIC_BASE_URL`"),
    )
    dashboard_session_key: str | None = Field(
        default=None,
        repr=False,
        description="the dashboard's Flask secret key, which keys the sign-in code hashes; "
        "outside `local`/`test` a missing, placeholder or short (< 32 characters) value stops "
        "the dashboard at start-up",
        json_schema_extra=_shown("local: a fixed development key"),
    )
    dashboard_sign_in_budget_ms: int = Field(
        default=1500,
        description="every code request is answered after this long, owner or not, so response "
        "times do not reveal owners; keep it above WhatsApp's p99 send time (local stack: 300)",
    )
    dashboard_proxy_hops: int = Field(
        default=1,
        description="how many `X-Forwarded-For` entries, from the right, our own proxies "
        "appended; the sign-in limits use the leftmost of them as the client IP (1 behind "
        "Google's front end, 2 behind an external HTTPS load balancer)",
    )

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("dashboard_base_url")
    @classmethod
    def _dashboard_under_base_url(cls, value: str, info: ValidationInfo) -> str:
        return (value or info.data.get("public_base_url", "")).rstrip("/")

    @field_validator("whatsapp_webhook_url")
    @classmethod
    def _webhook_under_base_url(cls, value: str, info: ValidationInfo) -> str:
        return value or f"{info.data.get('public_base_url', '')}/webhook/whatsapp"

    @field_validator("embeddings", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def whatsapp_status_callback_url(self) -> str:
        """Every send's StatusCallback: served by whatsapp_inbound under the webhook's own URL,
        so it needs no setting of its own (Twilio signs it like the webhook)."""
        return self.whatsapp_webhook_url + "/status"

    @property
    def environment(self) -> str:
        """`DUKA_ENV`, else `production` on Cloud Functions (`K_SERVICE` is set), else `local`."""
        return self.duka_env or ("production" if self.k_service else "local")

    @property
    def is_local(self) -> bool:
        """Only the names `local` and `test` relax production rules; anything else fails closed."""
        return self.environment in LOCAL_ENVIRONMENTS

    @property
    def pubsub_project(self) -> str:
        """The project of the Pub/Sub topics; locally the emulator's `duka-local`."""
        return self.gcp_project or "duka-local"

    def gateway_environment(self) -> dict[str, str]:
        """The deployment's `PAYLINK_*` and `DARAJA_*` values by variable name, as the payment
        adapters read them (duka.orders.gateway_choice may swap in a boutique's own keys)."""
        return {
            name.upper(): value
            for name, value in self
            if name.startswith(_GATEWAY_PREFIXES) and value is not None
        }

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

    def check_production(self) -> None:
        """Outside local/test, refuse missing and placeholder credentials, naming the variable."""
        if self.is_local:
            return
        for name, value in (
            ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
            ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
            ("DATABASE_URL", self.database_url),
            ("PUBLIC_BASE_URL", self.public_base_url),
        ):
            if not value or value.lower() in _PLACEHOLDERS or value.startswith("local-"):
                raise ConfigError(f"{name} must be set to a real value outside DUKA_ENV=local/test")


def env_name(field: str) -> str:
    """The environment variable a Settings field is read from."""
    return field.upper()


def load_settings() -> Settings:
    """Read the environment now, without the production checks; raises ConfigError."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{env_name(str(error['loc'][0]))}: {error['msg']}, got {error['input']!r}"
            for error in exc.errors()
        )
        raise ConfigError(problems) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, checked for production; `get_settings.cache_clear()` re-reads."""
    settings = load_settings()
    settings.check_production()
    return settings
