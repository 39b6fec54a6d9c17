"""The background job of a slash command: rewrite (or verify), render, post to ``response_url``.

Whatever happens, the user hears about it: an LLM failure, unusable input or a bug becomes a clear
message at ``response_url``, and a job cancelled at shutdown asks the user to run the command again.
Logs carry the request id, the platform, the outcome and counts, never note, evidence or bullet text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import structlog

from service.chatops import _mattermost, _slack
from service.chatops._report import Report, report_from_rewrite, report_from_verify
from service.chatops._state import ChatopsStats
from service.coach import questions_for
from service.contract.models import VerifyRequest, evidence_items
from service.contract.rewrite import RewriteRequest
from service.contract.rewriting import run_rewrite
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
        wait = f" in about {max(1, round(exc.retry_after_s))} s" if exc.retry_after_s else " in a minute"
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
        delivered = await post(job.response_url, payload, timeout_s=settings.chatops_delivery_timeout_s)
        if not delivered:
            outcome = "delivery_failed"
        stats.job_finished(platform.name, outcome)
        _log.info("chatops_job_done", outcome=outcome, delivered=delivered)


async def _reply(job: Job, llm: LLMClient, settings: Settings) -> tuple[str, Payload]:
    platform = job.platform
    try:
        if isinstance(job.request, VerifyRequest):
            response = await asyncio.to_thread(run_verify, job.request)
            report = report_from_verify(response)
        else:
            result = await run_rewrite(llm, job.request, settings)
            questions = questions_for(job.request.notes, evidence_items(job.request.evidence))
            report = report_from_rewrite(result, questions)
    except LLMError as exc:
        _log.warning("chatops_llm_failed", error=type(exc).__name__, status=exc.status)
        return "llm_error", platform.render_message(llm_error_message(exc), warning=True)
    except ValueError as exc:  # input the pipeline refuses (the route's checks should have caught it)
        _log.warning("chatops_bad_input", error=type(exc).__name__)
        reason = " ".join(str(exc).split())[:300]
        text = f"Your command could not be used: {reason} Send `help` after the command for the format."
        return "bad_input", platform.render_message(text, warning=True)
    except Exception as exc:
        _log.error("chatops_job_failed", exc_type=type(exc).__name__)
        text = (
            "Something went wrong on our side, and no bullets were written. "
            f"If it happens again, quote the request id `{job.request_id}` to the service's admin."
        )
        return "error", platform.render_message(text, warning=True)
    _log.info("chatops_reported", n_accepted=len(report.accepted), n_refused=len(report.refused))
    return "ok", platform.render_report(report)
