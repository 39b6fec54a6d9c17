"""The LLM client dependency of ``/v1/rewrite``. Tests swap it: ``app.dependency_overrides[get_llm_client]``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service.deps import SettingsDep
from service.llm import LiteLLMClient
from service.pipeline import LLMClient
from service.settings import Settings


def llm_client_from_settings(settings: Settings) -> LiteLLMClient:
    """A :class:`LiteLLMClient` configured from the ``BULLETGUARD_*`` settings."""
    return LiteLLMClient(
        api_base=settings.api_base,
        api_key=settings.api_key.get_secret_value() if settings.api_key is not None else None,
        schema_mode=settings.llm_schema_mode,
        max_tokens=settings.llm_max_tokens,
        max_retries=settings.llm_max_retries,
        retry_max_wait_s=settings.llm_retry_max_wait_s,
        retry_budget_s=settings.rewrite_timeout_s,
    )


def get_llm_client(settings: SettingsDep) -> LLMClient:
    return llm_client_from_settings(settings)


LLMClientDep = Annotated[LLMClient, Depends(get_llm_client)]
