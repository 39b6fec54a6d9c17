"""Tell a misconfigured LLM client from a failing model: :func:`diagnose`.

litellm reports a request that never left this process in the same clothes as an upstream failure:
with no API key, ``openai/…`` raises ``InternalServerError`` (status 500) around the SDK's "Missing
credentials"; an API key with a non-ASCII character fails while the headers are encoded
(``InternalServerError`` around a ``UnicodeEncodeError``); an option the provider does not take is an
``UnsupportedParamsError``; a model without a provider prefix is a ``BadRequestError``. None of these
reached a server, and no retry or wait can fix them: a setting has to change. (Measured with litellm
1.102.4; ``tests/test_llm_diagnosis.py`` pins each case against the real library.)

What tells them apart is the exception chain: an error answer from a server always leaves an
``httpx.HTTPStatusError`` (or the OpenAI SDK's own ``APIStatusError``) in it, a network failure an
``httpx.TransportError`` or ``OSError``. A chain with neither did not get an error status from a server,
but that alone does not prove it never left (a 200 whose body is cut off fails while it is read, with a
``JSONDecodeError``): only the causes recognised below are called misconfigurations; anything else stays
the transport error :mod:`service.rewrite.llm.client` makes of it, without an HTTP status no server sent.

Two answers that did come from a server are configuration errors too, and are reported the same way:
a refusal of ``response_format`` ``json_schema`` (llama.cpp's server accepts only ``json_object`` with a
schema) and a 401 (the endpoint refused the API key).

A :class:`Misconfiguration` names the ``BULLETGUARD_*`` setting to change. Its message never quotes the
provider's text (which may echo the request), only the names of parameters litellm refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import httpx
import litellm
import openai

Reason = Literal[
    "missing_api_key",
    "api_key_refused",
    "api_key_encoding",
    "unknown_provider",
    "unsupported_option",
    "schema_mode",
]

SCHEMA_MODE_SETTING = "BULLETGUARD_LLM_SCHEMA_MODE"
API_KEY_SETTING = "BULLETGUARD_API_KEY"
MODEL_SETTING = "BULLETGUARD_MODEL"
MAX_TOKENS_SETTING = "BULLETGUARD_LLM_MAX_TOKENS"

# litellm's UnsupportedParamsError: "... does not support parameters: ['response_format'], for model=..."
_UNSUPPORTED_RE = re.compile(r"does not support parameters: \[([^\]]*)\]")
_PARAM_RE = re.compile(r"'([a-z_]+)'")
# "Missing credentials. Please pass an `api_key`" (OpenAI SDK), "Missing Anthropic API Key" (litellm), ...
_MISSING_KEY_RE = re.compile(
    r"missing (?:credentials|\w+ api key)|api[_ ]key (?:is )?(?:not set|missing|required)", re.I
)


@dataclass(frozen=True, slots=True)
class Misconfiguration:
    """Why a call failed for a reason only a setting can fix, and which setting (None: several may)."""

    reason: Reason
    setting: str | None
    message: str
    value: str | None = None  # the value the setting should take, when it is known (``json_object``)


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from (litellm wraps the SDK's, which wrap httpx's)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def answered_by_server(exc: BaseException) -> bool:
    """True when a server answered the request with an error status (the chain holds its response)."""
    return any(
        isinstance(e, httpx.HTTPStatusError)
        # the SDK's own classes wrap a real response; litellm subclasses them with a made-up one
        or (isinstance(e, openai.APIStatusError) and type(e).__module__.startswith("openai"))
        for e in exception_chain(exc)
    )


def _network_failure(exc: BaseException) -> bool:
    return any(
        isinstance(e, httpx.TransportError | OSError | TimeoutError | openai.APITimeoutError)
        or type(e) is openai.APIConnectionError
        for e in exception_chain(exc)
    )


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _text(exc: BaseException) -> str:
    return " ".join(str(e) for e in exception_chain(exc))


def diagnose(exc: BaseException, *, model: str, schema_mode: str) -> Misconfiguration | None:
    """The misconfiguration behind ``exc``, or None when the model or the network failed (or a bug)."""
    if not isinstance(exc, openai.OpenAIError | litellm.exceptions.UnsupportedParamsError):
        return None  # litellm's and the SDK's errors all derive from OpenAIError; anything else is a bug
    text = _text(exc)
    if answered_by_server(exc):
        return _diagnose_answer(exc, text, model=model, schema_mode=schema_mode)
    if _network_failure(exc):
        return None
    return _diagnose_local(exc, text, model=model)


def _diagnose_answer(exc: BaseException, text: str, *, model: str, schema_mode: str) -> Misconfiguration | None:
    status = _status(exc)
    lowered = text.lower()
    if (
        schema_mode == "json_schema"
        and status in (400, 422, 500)
        and ("response_format" in lowered or "json_schema" in lowered)
    ):
        return Misconfiguration(
            "schema_mode",
            SCHEMA_MODE_SETTING,
            f"The endpoint of model {model} refused response_format json_schema (HTTP {status}): it takes "
            f"json_object with a schema (llama.cpp's server does). Set {SCHEMA_MODE_SETTING}=json_object.",
            value="json_object",
        )
    if status == 401:
        return Misconfiguration(
            "api_key_refused",
            API_KEY_SETTING,
            f"The endpoint of model {model} refused the API key (HTTP 401): check {API_KEY_SETTING}.",
        )
    return None


def _diagnose_local(exc: BaseException, text: str, *, model: str) -> Misconfiguration | None:
    where = "before the request was sent"
    if any(isinstance(e, UnicodeEncodeError) for e in exception_chain(exc)):
        return Misconfiguration(
            "api_key_encoding",
            API_KEY_SETTING,
            f"The request to model {model} could not be encoded {where}: a header holds a non-ASCII "
            f"character, most likely the API key ({API_KEY_SETTING}); copy the key again.",
        )
    if isinstance(exc, openai.AuthenticationError) or _MISSING_KEY_RE.search(text):
        return Misconfiguration(
            "missing_api_key",
            API_KEY_SETTING,
            f"No API key for model {model} ({where}): set {API_KEY_SETTING} (any value for a server that "
            "needs none, such as llama.cpp's, Ollama's or vLLM's).",
        )
    unsupported = _UNSUPPORTED_RE.search(text)
    if isinstance(exc, litellm.exceptions.UnsupportedParamsError) or unsupported:
        params = _PARAM_RE.findall(unsupported.group(1)) if unsupported else []
        named = ", ".join(params) or "an option"
        if params == ["max_tokens"]:
            return Misconfiguration(
                "unsupported_option",
                MAX_TOKENS_SETTING,
                f"Model {model} does not take max_tokens ({where}): unset {MAX_TOKENS_SETTING}.",
            )
        return Misconfiguration(
            "unsupported_option",
            MODEL_SETTING,
            f"Model {model} does not take {named}, which bulletguard needs ({where}): choose a model "
            f"that supports structured output ({MODEL_SETTING}).",
        )
    if "provider not provided" in text.lower():
        return Misconfiguration(
            "unknown_provider",
            MODEL_SETTING,
            f"litellm knows no provider for model {model} ({where}): name it as provider/model, e.g. "
            f"openai/{model} for an OpenAI-compatible server ({MODEL_SETTING}).",
        )
    return None
