"""Service configuration, read from ``BULLETGUARD_*`` environment variables.

Every field documents itself (``Field(description=...)``); the README's settings table mirrors them.
Secrets are ``SecretStr`` so they never show up in ``repr()`` or in logs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """All knobs of the service. Construct directly in tests; use :func:`get_settings` elsewhere."""

    model_config = SettingsConfigDict(
        env_prefix="BULLETGUARD_",
        extra="ignore",
        frozen=True,
        validate_default=True,
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
        description="Models tried in order when `model` fails; comma-separated in the environment.",
    )

    @field_validator("fallback_models", mode="before")
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
