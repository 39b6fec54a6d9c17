"""How ``bulletguard eval --model`` reaches a model: the service's own settings, flags over them.

Every setting the service uses for its model is read the same way here (``BULLETGUARD_API_BASE``,
``BULLETGUARD_API_KEY``, ``BULLETGUARD_LLM_SCHEMA_MODE``, ``BULLETGUARD_LLM_MAX_TOKENS``,
``BULLETGUARD_LLM_TIMEOUT_S``, ``BULLETGUARD_LLM_MAX_RETRIES``), so a prompt author's eval asks the
model exactly what the service would. Each has a flag that wins over it: ``--api-base``,
``--api-key-env NAME`` (the key's variable, never the key itself on a command line), ``--schema-mode``,
``--max-tokens``, ``--timeout``. Two defaults are the eval's own: a 120 s timeout, and in
``json_object`` mode a 512-token completion cap (:data:`JSON_OBJECT_MAX_TOKENS`) when none is set.

When a call fails for a wrong setting (:class:`~service.rewrite.llm.errors.LLMMisconfigured`), :func:`advice` turns
the setting the service names into the flag to pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from service.rewrite.llm.errors import LLMMisconfigured
from service.settings import Settings

SchemaMode = Literal["json_schema", "json_object"]
DEFAULT_EVAL_TIMEOUT_S = 120.0  # the local model on 2 cores takes up to ~15 s a call; hosted ones are faster
# A grammar-constrained server (json_object mode: llama.cpp's) lets a small model pad its JSON with
# whitespace until the context is full: measured with SmolLM2-135M, every uncapped call ran past 120 s,
# with this cap (the bundled model's own) p50 5 s. Only when no limit is set; other modes get none.
JSON_OBJECT_MAX_TOKENS = 512

FLAGS: dict[str, str] = {
    "BULLETGUARD_API_KEY": "--api-key-env NAME",
    "BULLETGUARD_API_BASE": "--api-base URL",
    "BULLETGUARD_LLM_SCHEMA_MODE": "--schema-mode",
    "BULLETGUARD_LLM_MAX_TOKENS": "--max-tokens",
    "BULLETGUARD_MODEL": "--model",
}


class EndpointError(ValueError):
    """A flag or variable that names the endpoint cannot be used (an unset key variable, say)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how ``--model`` is called. ``repr`` never shows the key."""

    api_base: str | None
    api_key: str | None
    schema_mode: SchemaMode
    max_tokens: int | None
    max_retries: int
    retry_max_wait_s: float

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        return f"Endpoint(api_base={self.api_base!r}, api_key={key}, schema_mode={self.schema_mode!r})"


def endpoint_from(
    settings: Settings,
    *,
    api_base: str | None = None,
    api_key_env: str | None = None,
    schema_mode: SchemaMode | None = None,
    max_tokens: int | None = None,
) -> Endpoint:
    """The settings' endpoint, each given flag (not None) in place of its setting."""
    if api_key_env is not None:
        key = os.environ.get(api_key_env)
        if not key:
            raise EndpointError(f"--api-key-env {api_key_env}: the variable {api_key_env} is not set")
    else:
        key = settings.api_key.get_secret_value() if settings.api_key is not None else None
    mode = schema_mode or settings.llm_schema_mode
    limit = max_tokens or settings.llm_max_tokens
    return Endpoint(
        api_base=api_base or settings.api_base,
        api_key=key,
        schema_mode=mode,
        max_tokens=limit if limit is not None or mode != "json_object" else JSON_OBJECT_MAX_TOKENS,
        max_retries=settings.llm_max_retries,
        retry_max_wait_s=settings.llm_retry_max_wait_s,
    )


def timeout_from(settings: Settings, flag: float | None) -> float:
    """``--timeout``, else ``BULLETGUARD_LLM_TIMEOUT_S`` when it is set, else :data:`DEFAULT_EVAL_TIMEOUT_S`."""
    if flag is not None:
        return flag
    if "llm_timeout_s" in settings.model_fields_set:
        return settings.llm_timeout_s
    return DEFAULT_EVAL_TIMEOUT_S


def advice(exc: LLMMisconfigured) -> str:
    """The service's message, and the flag that changes the setting it names."""
    if exc.setting is None:
        return exc.message
    flag = FLAGS.get(exc.setting)
    if flag is None:
        return exc.message
    if exc.value is not None:
        flag = f"{flag} {exc.value}"
    return f"{exc.message} Here: rerun with {flag} (or set {exc.setting})."
