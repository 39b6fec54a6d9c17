"""Model fallbacks through litellm's Router (``BULLETGUARD_FALLBACK_MODELS``).

``BULLETGUARD_FALLBACK_MODELS`` lists models tried in order when the requested model fails, e.g.
``anthropic/claude-3-5-haiku-latest,openai/smollm2-135m-instruct@http://10.0.0.7:8766/v1``:

* ``MODEL`` alone is called the way litellm calls that provider by default: its own endpoint and its
  own API key variable (``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``, ...). Neither ``BULLETGUARD_API_BASE``
  nor ``BULLETGUARD_API_KEY`` is sent to it: those belong to the primary endpoint.
* ``MODEL@URL`` (``URL`` starting with ``http://`` or ``https://``) calls ``MODEL`` on another
  OpenAI-compatible server, with ``BULLETGUARD_API_KEY``: another replica of the model server, say.

A Router is built per requested model, with that model first and the fallbacks behind it, and no retries
or cooldowns of its own: :class:`service.rewrite.llm.client.LiteLLMClient`'s tenacity loop stays the one
retry layer, and each of its attempts walks the whole chain. When every model fails, the Router re-raises the *first*
model's error, which decides the API's answer (502/503/504).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litellm.router import Router


@dataclass(frozen=True, slots=True)
class FallbackModel:
    """One fallback: a litellm model name and, optionally, the OpenAI-compatible server it runs on."""

    model: str
    api_base: str | None = None

    def __str__(self) -> str:  # the form it was configured in (no secrets in it)
        return f"{self.model}@{self.api_base}" if self.api_base else self.model


def parse_fallback(spec: str) -> FallbackModel:
    """``MODEL`` or ``MODEL@http(s)://server/v1``. An ``@`` not followed by a URL is part of the name
    (Vertex AI versions look like ``claude-3-5-sonnet@20240620``)."""
    spec = spec.strip()
    name, sep, base = spec.rpartition("@")
    name, base = name.strip(), base.strip()
    if sep and name and base.startswith(("http://", "https://")):
        return FallbackModel(name, base)
    if not spec:
        raise ValueError("empty fallback model")
    return FallbackModel(spec)


def parse_fallbacks(specs: Sequence[str]) -> tuple[FallbackModel, ...]:
    return tuple(parse_fallback(spec) for spec in specs)


def fallback_group(index: int, fallback: FallbackModel) -> str:
    """The Router's model-group name of the ``index``-th fallback (unique even if a model repeats)."""
    return f"fallback-{index}:{fallback.model}"


def build_router(
    model: str,
    fallbacks: Sequence[FallbackModel],
    *,
    api_base: str | None,
    api_key: str | None,
) -> Router:
    """A Router that serves ``model`` (on ``api_base`` with ``api_key``) and falls back in order."""
    primary: dict[str, Any] = {"model": model}
    if api_base is not None:
        primary["api_base"] = api_base
    if api_key is not None:
        primary["api_key"] = api_key
    model_list: list[dict[str, Any]] = [{"model_name": model, "litellm_params": primary}]
    groups: list[str] = []
    for index, fallback in enumerate(fallbacks, start=1):
        params: dict[str, Any] = {"model": fallback.model}
        if fallback.api_base is not None:
            params["api_base"] = fallback.api_base
            if api_key is not None:
                params["api_key"] = api_key
        group = fallback_group(index, fallback)
        groups.append(group)
        model_list.append({"model_name": group, "litellm_params": params})
    return Router(
        model_list=model_list,
        fallbacks=[{model: groups}],
        max_fallbacks=len(groups),
        num_retries=0,  # tenacity in LiteLLMClient is the one retry layer
        disable_cooldowns=True,  # one deployment per group: a cooldown would only refuse the next request
    )
