"""The background job of a slash command: rewrite (or verify), render, post to ``response_url``.

Whatever happens, the user hears about it: an LLM failure, unusable input or a bug becomes a clear
message at ``response_url``, and a job cancelled at shutdown asks the user to run the command again.
Logs carry the request id, the platform, the outcome and counts, never note, evidence or bullet text.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import structlog

from service.chatops import _mattermost, _slack
from service.chatops._report import Report, report_from_rewrite, report_from_verify
from service.chatops._state import ChatopsStats
from service.contract.models import VerifyRequest
from service.contract.rewrite import RewriteRequest
from service.contract.rewriting import read_request, run_rewrite
from service.contract.verification import run_verify
from service.rewrite.llm.errors import LLMError, LLMTimeout, LLMUnavailable
from service.rewrite.port import LLMClient
from service.settings import Settings

_log = structlog.get_logger("bulletguard.chatops")

Payload = dict[str, Any]
Poster = Callable[..., Awaitable[bool]]  # post_reply(url, payload, *, timeout_s) -> delivered


class _MessageRenderer(Protocol):
    def __call__(self, text: str, *, warning: bool = False) -> Payload: ...


@dataclass(frozen=True, slots=True)
class Platform:
    """How one chat platform shows a report and a message."""

    name: Literal["slack", "mattermost"]
    render_report: Callable[[Report], Payload]
    render_message: _MessageRenderer


SLACK = Platform("slack", _slack.render_report, _slack.render_message)
MATTERMOST = Platform("mattermost", _mattermost.render_report, _mattermost.render_message)


@dataclass(frozen=True, slots=True)
class Job:
    platform: Platform
    request: RewriteRequest | VerifyRequest
    response_url: str
    request_id: str | None


def llm_error_message(exc: LLMError) -> str:
    """What to tell the user when the model failed (the message names model and status, never input)."""
    if isinstance(exc, LLMTimeout):
        advice = "Try again in a minute, or with shorter notes."
    elif isinstance(exc, LLMUnavailable):
        seconds = exc.retry_after_s
        finite = seconds is not None and math.isfinite(seconds) and seconds > 0
        wait = f" in about {max(1, round(min(seconds, 3600)))} s" if finite and seconds else " in a minute"
        advice = f"Try again{wait}."
    else:
        advice = "Try again later; if it keeps failing, tell the service's admin."
    return f"No bullets this time: the model failed. {exc.message} {advice}"


async def run_job(job: Job, *, llm: LLMClient, settings: Settings, stats: ChatopsStats, post: Poster) -> None:
    """Compute the reply to ``job`` and post it to its ``response_url``; never raises (but cancellation)."""
    platform = job.platform
    with structlog.contextvars.bound_contextvars(request_id=job.request_id, platform=platform.name):
        try:
            outcome, payload = await _reply(job, llm, settings)
        except asyncio.CancelledError:
            note = "bulletguard stopped before your command finished, so nothing was written. Please run it again."
            await post(job.response_url, platform.render_message(note, warning=True), timeout_s=5.0)
            stats.job_finished(platform.name, "cancelled")
            raise
        if not _encodable(payload):  # e.g. a lone surrogate: the reply cannot be sent as JSON
            _log.error("chatops_reply_not_encodable")
            outcome, payload = "error", platform.render_message(_failure_text(job), warning=True)
        try:
            delivered = await post(job.response_url, payload, timeout_s=settings.chatops_delivery_timeout_s)
        except Exception as exc:  # a bug in delivery: counted, never a job that ends without a word
            _log.error("chatops_delivery_crashed", exc_type=type(exc).__name__)
            delivered = False
        if not delivered:
            outcome = "delivery_failed"
        stats.job_finished(platform.name, outcome)
        _log.info("chatops_job_done", outcome=outcome, delivered=delivered)


def _encodable(payload: Payload) -> bool:
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return False
    return True


def _failure_text(job: Job) -> str:
    return (
        "Something went wrong on our side, and no bullets were written. "
        f"If it happens again, quote the request id `{job.request_id}` to the service's admin."
    )


async def _reply(job: Job, llm: LLMClient, settings: Settings) -> tuple[str, Payload]:
    platform = job.platform
    try:
        if isinstance(job.request, VerifyRequest):
            response = await asyncio.to_thread(run_verify, job.request)
            report = report_from_verify(response)
        else:
            reading = await asyncio.to_thread(read_request, job.request)  # CPU work, off the event loop
            result = await run_rewrite(llm, job.request, settings, reading)
            report = await asyncio.to_thread(report_from_rewrite, result, reading.questions)
    except LLMError as exc:
        _log.warning("chatops_llm_failed", error=type(exc).__name__, status=exc.status)
        try:
            text = llm_error_message(exc)
        except Exception:  # a message that cannot be written must not end the job without a word
            text = "No bullets this time: the model failed. Try again in a minute."
        return "llm_error", platform.render_message(text, warning=True)
    except ValueError as exc:  # input the pipeline refuses (the route's checks should have caught it)
        _log.warning("chatops_bad_input", error=type(exc).__name__)
        reason = " ".join(str(exc).split())[:300]
        text = f"Your command could not be used: {reason} Send `help` after the command for the format."
        return "bad_input", platform.render_message(text, warning=True)
    except Exception as exc:
        _log.error("chatops_job_failed", exc_type=type(exc).__name__)
        return "error", platform.render_message(_failure_text(job), warning=True)
    _log.info("chatops_reported", n_accepted=len(report.accepted), n_refused=len(report.refused))
    return "ok", platform.render_report(report)
