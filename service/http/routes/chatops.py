"""``POST /v1/chatops/slack`` and ``POST /v1/chatops/mattermost``: the ``/bullets`` slash command.

Order of work, per request: the route answers 404 while its secret is unset; otherwise the raw body
is read and the request verified (Slack signature, or Mattermost token) *before anything else* - a
refusal is a counted 401 and nothing runs. Only then is the form parsed. The answer is an immediate
ephemeral ack (help and input errors are answered right there); the rewrite or check runs as a
background job that posts its result to the command's ``response_url``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from slack_sdk.signature import Clock

from service.chatops import chatops_state
from service.chatops._auth import SeenSignatures, mattermost_refusal, slack_refusal
from service.chatops._deliver import allowed_response_url, post_reply
from service.chatops._run import MATTERMOST, SLACK, Job, Platform, run_job
from service.chatops._slack import unescape
from service.chatops._text import CommandError, HelpCommand, VerifyCommand, parse_command, to_request, usage
from service.contract.models import ValidationProblem
from service.http.deps import SettingsDep
from service.http.llm_client import LLMClientDep
from service.http.problems import ProblemError, request_id_of
from service.http.routes._shared import problem_doc
from service.rewrite.port import LLMClient
from service.settings import Settings

_log = structlog.get_logger("bulletguard.chatops")

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


def get_slack_clock() -> Clock:
    """The clock Slack timestamps are checked against. Tests override it to control time."""
    return Clock()


SlackClockDep = Annotated[Clock, Depends(get_slack_clock)]


class SlashCommandForm(BaseModel):
    """The fields of a slash-command request the service uses (others are accepted and ignored)."""

    model_config = ConfigDict(extra="ignore")

    command: str = Field(default="/bullets", max_length=100, description="The command, e.g. `/bullets`.")
    text: str = Field(default="", description="Everything after the command: notes, `evidence:` and `redact:` lines.")
    response_url: str = Field(min_length=1, max_length=2000, description="Where the delayed reply is posted.")


class ChatReply(BaseModel):
    """The immediate answer to a slash command: a message only the user sees."""

    response_type: Literal["ephemeral"] = Field(description="Always `ephemeral`: only the user sees replies.")
    text: str = Field(description="The message (Slack mrkdwn or Mattermost Markdown).")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    if getattr(app.state, "chatops", None) is not None:  # only if a command ever came in
        settings = app.state.settings
        assert isinstance(settings, Settings)
        await chatops_state(app).jobs.drain(timeout_s=settings.rewrite_timeout_s + settings.chatops_delivery_timeout_s)


router = APIRouter(tags=["chatops"], lifespan=_lifespan)


def _parse_form(request: Request, body: bytes) -> SlashCommandForm:
    """The verified body as a form: 415 if it is not one, 400 if it cannot be read, 422 if a field is wrong."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise ProblemError(
            415,
            "Unsupported Media Type",
            f"Slash commands are sent as {FORM_MEDIA_TYPE}.",
            type="unsupported-media-type",
        )
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=64)
    except ValueError as exc:
        raise ProblemError(
            400, "Bad Request", "The body is not a readable form (UTF-8, at most 64 fields).", type="bad-request"
        ) from exc
    try:
        return SlashCommandForm.model_validate({name: values[0] for name, values in fields.items()})
    except ValidationError as exc:
        raise RequestValidationError(
            [{"loc": ("body", *error["loc"]), "msg": error["msg"], "type": error["type"]} for error in exc.errors()]
        ) from exc


async def _verified_form(
    request: Request,
    secret: SecretStr | None,
    refusal: Callable[[bytes, str], str | None],
    *,
    platform: str,
    detail: str,
    scheme: str,
) -> SlashCommandForm:
    """The request's form, read only once ``refusal(raw body, secret)`` finds no reason to refuse it: 404
    while the platform's ``secret`` is unset, a counted 401 (``WWW-Authenticate: scheme``) when refused."""
    if secret is None:
        raise ProblemError(404, "Not Found", f"No resource at {request.url.path}.", type="not-found")
    body = await request.body()
    reason = refusal(body, secret.get_secret_value())
    if reason is not None:
        chatops_state(request.app).stats.refused(platform, reason)
        raise ProblemError(401, "Unauthorized", detail, type="unauthorized", headers={"WWW-Authenticate": scheme})
    return _parse_form(request, body)


def slack_replays(app: FastAPI) -> SeenSignatures:
    """The app's memory of accepted Slack signatures (created on first use)."""
    seen = getattr(app.state, "slack_replays", None)
    if not isinstance(seen, SeenSignatures):
        seen = SeenSignatures()
        app.state.slack_replays = seen
    return seen


async def verified_slack_form(request: Request, settings: SettingsDep, clock: SlackClockDep) -> SlashCommandForm:
    """The Slack request's form, once its signature is verified (401 otherwise, 404 when not configured)."""

    def refusal(body: bytes, secret: str) -> str | None:
        reason = slack_refusal(body, request.headers, signing_secret=secret, clock=clock)
        if reason is None and not slack_replays(request.app).first_time(
            request.headers.get("x-slack-signature", ""), clock.now()
        ):
            return "replayed"
        return reason

    return await _verified_form(
        request,
        settings.slack_signing_secret,
        refusal,
        platform="slack",
        detail="The request is not from Slack: its signature is missing, wrong, older than 5 minutes, or replayed.",
        scheme='Slack-Signature realm="slack"',
    )


async def verified_mattermost_form(request: Request, settings: SettingsDep) -> SlashCommandForm:
    """The Mattermost request's form, once its token is verified (401 otherwise, 404 when not configured)."""
    return await _verified_form(
        request,
        settings.mattermost_token,
        lambda body, token: mattermost_refusal(body, request.headers, token=token),
        platform="mattermost",
        detail="The request is not from the configured Mattermost command: its token is missing or wrong.",
        scheme='Token realm="mattermost"',
    )


def _form_body(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {FORM_MEDIA_TYPE: {"schema": SlashCommandForm.model_json_schema()}},
        }
    }


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_doc("The body is not a readable form."),
    401: problem_doc("The request is not authentic (signature or token); counted, nothing runs."),
    404: problem_doc("The platform is not configured (its secret is unset)."),
    413: problem_doc("The request body is larger than `max_body_bytes`."),
    415: problem_doc("The body is not `application/x-www-form-urlencoded`."),
    422: problem_doc("A form field is missing or invalid (e.g. no `response_url`).", ValidationProblem),
    500: problem_doc("Unexpected server error (generic detail; quote the request_id)."),
}


@router.post(
    "/v1/chatops/slack",
    summary="Slack slash command `/bullets`",
    description=(
        "Receives Slack's slash-command form, signed with the app's signing secret (setting "
        "`slack_signing_secret`; 404 while unset). Answers at once with an ephemeral message; the guarded "
        "bullets (Block Kit, with a plain-text fallback) or a clear error follow at the `response_url`."
    ),
    response_model=ChatReply,
    responses=ERROR_RESPONSES,
    openapi_extra=_form_body("Slack's slash-command payload; the raw body is what the signature covers."),
)
async def slack_command(
    form: Annotated[SlashCommandForm, Depends(verified_slack_form)],
    request: Request,
    settings: SettingsDep,
    llm: LLMClientDep,
) -> ChatReply:
    return _handle(
        SLACK,
        form,
        unescape(form.text),
        request,
        settings,
        llm,
        allowed_hosts=settings.slack_allowed_hosts,
        allow_http=False,
        hosts_setting="BULLETGUARD_SLACK_ALLOWED_HOSTS",
    )


@router.post(
    "/v1/chatops/mattermost",
    summary="Mattermost slash command `/bullets`",
    description=(
        "Receives Mattermost's slash-command form with the command's token (setting `mattermost_token`; 404 "
        "while unset). Answers at once with an ephemeral message; the guarded bullets (Markdown) or a clear "
        "error follow at the `response_url`, which must be on `mattermost_allowed_hosts`."
    ),
    response_model=ChatReply,
    responses=ERROR_RESPONSES,
    openapi_extra=_form_body("Mattermost's slash-command payload (POST)."),
)
async def mattermost_command(
    form: Annotated[SlashCommandForm, Depends(verified_mattermost_form)],
    request: Request,
    settings: SettingsDep,
    llm: LLMClientDep,
) -> ChatReply:
    return _handle(
        MATTERMOST,
        form,
        form.text,
        request,
        settings,
        llm,
        allowed_hosts=settings.mattermost_allowed_hosts,
        allow_http=settings.mattermost_allow_http,
        hosts_setting="BULLETGUARD_MATTERMOST_ALLOWED_HOSTS",
    )


_COMMAND_RE = re.compile(r"/[A-Za-z0-9_-]{1,32}")


def shown_command(command: str) -> str:
    """The command as quoted back in an ack: the form's ``command`` when it is a plain ``/name``, else
    ``/bullets`` (the field is the sender's; it must not put a link or markup into the service's reply)."""
    command = command.strip()
    return command if _COMMAND_RE.fullmatch(command) else "/bullets"


def _handle(
    platform: Platform,
    form: SlashCommandForm,
    text: str,
    request: Request,
    settings: Settings,
    llm: LLMClient,
    *,
    allowed_hosts: list[str],
    allow_http: bool,
    hosts_setting: str,
) -> ChatReply:
    """Everything after verification: parse, check, start the job, ack. Every outcome is a 200 ack."""

    def ack(message: str, *, warning: bool = False) -> ChatReply:
        return ChatReply.model_validate(platform.render_message(message, warning=warning))

    form = form.model_copy(update={"command": shown_command(form.command)})
    help_hint = f" Send `{form.command} help` for the format."
    if len(text) > settings.chatops_max_text_chars:
        _log.info("chatops_input_refused", reason="text_too_long", n_chars=len(text))
        return ack(f"Your text is too long: at most {settings.chatops_max_text_chars} characters.", warning=True)
    try:
        command = parse_command(text)
        if isinstance(command, HelpCommand):
            return ack(usage(form.command))
        api_request = to_request(command, settings)
    except CommandError as exc:
        _log.info("chatops_input_refused", reason="invalid")
        return ack(str(exc) + help_hint, warning=True)

    state = chatops_state(request.app)
    if not allowed_response_url(form.response_url, allowed_hosts, allow_http=allow_http):
        state.stats.refused(platform.name, "response_url_not_allowed")
        return ack(
            "bulletguard cannot answer this command: its reply address (`response_url`) is not on the service's "
            f"allowed hosts. Ask the service's admin to check `{hosts_setting}`.",
            warning=True,
        )

    job = Job(platform, api_request, form.response_url, request_id_of(request.scope))
    started = state.jobs.start(
        partial(run_job, job, llm=llm, settings=settings, stats=state.stats, post=post_reply),
    )
    if not started:
        _log.warning("chatops_busy", running=state.jobs.running)
        return ack("bulletguard is busy with other commands right now. Please try again in a minute.", warning=True)

    _log.info(
        "chatops_accepted",
        mode="verify" if isinstance(command, VerifyCommand) else "rewrite",
        n_evidence=len(command.evidence),
        n_redact_terms=len(command.redact),
        n_bullets=len(command.bullets) if isinstance(command, VerifyCommand) else 0,
    )
    if isinstance(command, VerifyCommand):
        count = len(command.bullets)
        return ack(f"Checking your {count} bullet{'s' if count != 1 else ''} against your notes…")
    return ack("Working on it: writing guarded bullets from your notes. They will appear here in a moment.")
