"""Service configuration, read from ``BULLETGUARD_*`` environment variables.

Every field documents itself (``Field(description=...)``); the README's settings table mirrors them.
Secrets are ``SecretStr`` so they never show up in ``repr()`` or in logs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from limits import parse_many
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
# A chat-ops allowed host: a DNS name or IPv4 address, optionally with a port.
_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?")
_KEY_HASH_RE = re.compile(r"sha256:[0-9a-fA-F]{64}")


class Settings(BaseSettings):
    """All knobs of the service. Construct directly in tests; use :func:`get_settings` elsewhere."""

    model_config = SettingsConfigDict(
        env_prefix="BULLETGUARD_",
        extra="ignore",
        frozen=True,
        validate_default=True,
        # a bad value may be a secret (a plain API key, a Redis URL with its password): never echo it
        hide_input_in_errors=True,
    )

    # --- server -------------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Interface `bulletguard serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port `bulletguard serve` listens on.")
    log_level: LogLevel = Field(default="INFO", description="Minimum level of log lines written.")
    log_json: bool = Field(
        default=True, description="Write logs as one JSON object per line (false: human-readable console)."
    )

    # --- request limits -------------------------------------------------------------------------
    max_body_bytes: int = Field(
        default=262_144, ge=1, description="Largest accepted request body in bytes; larger bodies get 413."
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest time a request body may take to arrive, in seconds; then 408."
    )
    max_connections: int = Field(
        default=200,
        ge=1,
        description="Most connections and requests `bulletguard serve` handles at once; more get 503.",
    )
    keep_alive_s: float = Field(
        default=5.0, gt=0, description="How long `bulletguard serve` keeps an idle connection open, in seconds."
    )
    max_bullets: int = Field(default=50, ge=1, description="Most bullets accepted in one request.")
    max_evidence_items: int = Field(default=50, ge=0, description="Most evidence items in one request.")
    max_redact_terms: int = Field(default=50, ge=0, description="Most redaction terms in one request.")
    max_notes_chars: int = Field(default=20_000, ge=1, description="Longest accepted `notes`, in characters.")
    max_evidence_chars: int = Field(
        default=5_000, ge=1, description="Longest accepted evidence item `text`, in characters."
    )
    max_bullet_chars: int = Field(default=1_000, ge=1, description="Longest accepted bullet, in characters.")
    max_redact_term_chars: int = Field(default=100, ge=1, description="Longest accepted redaction term, in characters.")

    # --- LLM (used by the rewrite endpoint) -----------------------------------------------------
    model: str = Field(
        default="openai/smollm2-135m-instruct",
        description="LiteLLM model name used to write bullets.",
    )
    api_base: str | None = Field(
        default=None, description="Base URL of the OpenAI-compatible LLM endpoint (unset: provider default)."
    )
    api_key: SecretStr | None = Field(
        default=None, description="API key for the LLM endpoint. Never logged or shown in repr."
    )
    llm_schema_mode: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        description=(
            "How the reply's JSON Schema is sent as `response_format`: `json_schema` (OpenAI and most providers) "
            "or `json_object` with a `schema` (llama-cpp-python's server; set automatically with the local model)."
        ),
    )
    llm_max_tokens: int | None = Field(
        default=None, ge=1, description="Completion token limit of one LLM call (unset: the provider's default)."
    )
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Timeout of one LLM call, in seconds.")
    llm_max_retries: int = Field(default=3, ge=0, description="Retries of a failed LLM call (transient errors only).")
    llm_retry_max_wait_s: float = Field(
        default=20.0, ge=0, description="Longest back-off wait between LLM retries, in seconds."
    )
    max_reasks: int = Field(
        default=2, ge=0, description="How often the LLM is re-asked after the guard rejects its bullets."
    )
    rewrite_repair: bool = Field(
        default=True,
        description="Return a refused model bullet's repair as accepted (marked `repaired`, the original and its "
        "violations beside it) when it keeps the bullet's substance, reads as sense and passes the guard again, "
        "so a re-ask asks only for the bullets still missing; and the notes' own sentences when the model gave "
        "nothing usable (marked `fallback`, counted apart). `false`: refused bullets are only re-asked.",
    )
    rewrite_timeout_s: float = Field(
        default=120.0, gt=0, description="Overall time budget of one rewrite request, in seconds."
    )
    local_model_port: int = Field(
        default=8766,
        ge=1,
        le=65535,
        description="Port of the bundled local model server started by `serve --with-local-model`.",
    )
    fallback_models: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Models tried in order when `model` fails (through litellm's Router); comma-separated in the "
            "environment. `MODEL@http://host:port/v1` sends that fallback to another OpenAI-compatible server."
        ),
    )

    allowed_models: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Models a request may choose with `options.model` (anything else is a 422); comma-separated in the "
            "environment. Empty: `model` and the `fallback_models`."
        ),
    )

    # --- production hardening: API keys, rate limits, LLM concurrency ---------------------------
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "SHA-256 hashes (`sha256:<hex>`, made by `bulletguard hash-key`) of the API keys accepted on /v1 "
            "routes; comma-separated. Empty: no key needed (local quick start)."
        ),
    )
    metrics_require_key: bool = Field(
        default=False,
        description="Ask for an API key on /metrics too (when keys are configured); else keep it off the network.",
    )
    rate_limit: str = Field(
        default="600/minute",
        description=(
            "Requests per API key (or client IP without keys) on /v1 routes, in `limits` notation "
            "(`600/minute`, `10/second;600/minute`); empty: no limit."
        ),
    )
    llm_rate_limit: str = Field(
        default="30/minute",
        description="Additional limit per API key (or client IP) on requests that call the LLM; empty: no limit.",
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description=(
            "`redis://[:password@]host:port/db`: keep rate-limit counters in Redis so limits hold across "
            "replicas (unset: in process memory). Never logged."
        ),
    )
    redis_timeout_s: float = Field(
        default=0.5, gt=0, description="Connect and command timeout for the rate-limit Redis, in seconds."
    )
    llm_max_concurrency: int = Field(
        default=4, ge=1, description="Most LLM calls in flight at once per process; more calls wait in a queue."
    )
    llm_max_queue: int = Field(
        default=32, ge=0, description="Most LLM calls waiting for a slot; beyond that a request gets 503 at once."
    )
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Addresses (or CIDR networks) of the reverse proxies whose `X-Forwarded-For`/`X-Forwarded-Proto` are "
            "trusted, for the client address that rate limits and logs use; comma-separated. Empty (default): "
            "forwarded headers are ignored, even from loopback."
        ),
    )
    llm_queue_timeout_s: float = Field(
        default=10.0, ge=0, description="Longest wait for an LLM slot, in seconds, before a 503 with Retry-After."
    )

    @field_validator("api_keys")
    @classmethod
    def _check_key_hashes(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _KEY_HASH_RE.fullmatch(item):
                # never echo the value: it may be a plain key pasted by mistake
                raise ValueError("each API key must be given as its hash, `sha256:` + 64 hex digits (see hash-key)")
        return [item.lower() for item in value]

    @field_validator("rate_limit", "llm_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                parse_many(value)
            except ValueError:
                raise ValueError("not a rate limit such as `60/minute` or `10/second;600/minute`") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    # --- chat-ops slash commands (Slack, Mattermost) ----------------------------------------------
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        description="Signing secret of the Slack app; `/v1/chatops/slack` answers 404 while unset. Never logged.",
    )
    slack_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["hooks.slack.com"],
        description=(
            "Hosts (`host` or `host:port`) a Slack `response_url` may point to (https only); "
            "comma-separated in the environment."
        ),
    )
    mattermost_token: SecretStr | None = Field(
        default=None,
        description=(
            "Token of the Mattermost slash command; `/v1/chatops/mattermost` answers 404 while unset. Never logged."
        ),
    )
    mattermost_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Hosts (`host` or `host:port`) of your Mattermost server, the only ones its `response_url` may point to; "
            "comma-separated in the environment. Empty: no Mattermost command can be answered."
        ),
    )
    mattermost_allow_http: bool = Field(
        default=False, description="Also accept plain-http Mattermost `response_url`s (a server on a private network)."
    )
    chatops_max_text_chars: int = Field(
        default=24_000, ge=1, description="Longest accepted slash-command text, in characters."
    )
    chatops_max_jobs: int = Field(
        default=16, ge=1, description="Most slash commands worked on at once; more are asked to retry later."
    )
    chatops_delivery_timeout_s: float = Field(
        default=10.0, gt=0, description="Timeout of posting one reply to a slash command's `response_url`, in seconds."
    )

    @field_validator("redis_url", "slack_signing_secret", "mattermost_token", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(raw, str) and not raw.strip() else value

    @field_validator("slack_allowed_hosts", "mattermost_allowed_hosts")
    @classmethod
    def _plain_hosts(cls, value: list[str]) -> list[str]:
        hosts = [host.strip().lower() for host in value]
        for host in hosts:
            if not _HOST_RE.fullmatch(host):
                raise ValueError("each entry must be a host name or `host:port` (no scheme, no path)")
        return hosts

    @field_validator(
        "fallback_models",
        "allowed_models",
        "api_keys",
        "slack_allowed_hosts",
        "mattermost_allowed_hosts",
        "forwarded_allow_ips",
        mode="before",
    )
    @classmethod
    def _split_comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
