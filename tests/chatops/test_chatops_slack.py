"""``POST /v1/chatops/slack`` through the real app: signatures, the quick ack, the delayed Block Kit reply."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

import pytest
import respx
import structlog

from service.chatops import chatops_state
from service.rewrite.llm.errors import LLMUnavailable
from tests.chatops.chatkit import (
    NOW,
    SIGNING_SECRET,
    assert_block_kit_limits,
    form,
    mrkdwn_texts,
    slack_headers,
)
from tests.chatops.conftest import Chat, posted
from tests.fakes import FakeLLM, SlowLLM, reply

pytestmark = pytest.mark.anyio

PATH = "/v1/chatops/slack"
NOTES = "helped debug a memory leak in the notification worker; wrote a runbook for restarting it"
GOOD = "Helped debug a memory leak in the notification worker."
BAD = "Led a 70% cut in memory use across all services."
TEXT = f"{NOTES}\nevidence: PR-1423: Fix unbounded retry queue in notification worker\nredact: Dana"

MakeChat = Callable[..., Chat]


def good_reply() -> str:
    return reply((GOOD, ["notes"], "reliability"), (BAD, ["notes"], "performance"))


# --- the happy path ---------------------------------------------------------------------------------


async def test_signed_command_is_acked_then_answered_at_response_url(
    make_chat: MakeChat, hooks: respx.MockRouter
) -> None:
    llm = FakeLLM(good_reply())
    chat = make_chat(llm)
    body = form(TEXT)

    response = await chat.post(PATH, body, slack_headers(body))

    assert response.status_code == 200, response.text
    ack = response.json()
    assert ack["response_type"] == "ephemeral"
    assert "working on it" in ack["text"].lower()

    await chat.settle()
    (payload,) = posted(hooks, "slack")
    assert payload["response_type"] == "ephemeral"
    assert_block_kit_limits(payload)
    texts = mrkdwn_texts(payload)
    blocks_text = "\n".join(texts[1:])
    # accepted first, then the refused one with what it invented
    assert blocks_text.index(GOOD) < blocks_text.index(BAD.replace("&", "&amp;"))
    for invented in ("Led", "70%", "across all services"):
        assert f"`{invented}`" in blocks_text
    assert "'70%' is a percentage the input does not state." in blocks_text
    assert GOOD in payload["text"]  # the fallback carries the bullets too
    # then the missing-proof questions: what to add to the notes instead of letting a model invent it
    assert "Questions that would make these bullets stronger" in blocks_text
    assert "performance: What did you measure before and after, and where?" in blocks_text
    (call,) = llm.calls
    assert "Dana" not in call.text  # redact terms are masked before the model sees the notes
    assert "PR-1423" in call.text
    assert chat.stats.jobs[("slack", "ok")] == 1


async def test_slack_escaped_text_is_unescaped_before_use(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    llm = FakeLLM(reply(("Helped debug a leak in the R&D worker.", ["notes"], "reliability")))
    chat = make_chat(llm)
    body = form("helped debug a leak in the R&amp;D worker &lt;prod&gt;")  # Slack sends &, <, > escaped

    response = await chat.post(PATH, body, slack_headers(body))
    await chat.settle()

    assert response.status_code == 200
    (call,) = llm.calls
    assert "R&D worker <prod>" in call.text
    assert "&amp;" not in call.text
    (payload,) = posted(hooks, "slack")
    assert "Helped debug a leak in the R&amp;D worker." in "\n".join(mrkdwn_texts(payload))


async def test_verify_checks_the_users_own_bullets_without_the_llm(
    make_chat: MakeChat, hooks: respx.MockRouter
) -> None:
    llm = FakeLLM()
    chat = make_chat(llm)
    body = form(f"verify {NOTES}\n- {GOOD}\n- {BAD}")

    response = await chat.post(PATH, body, slack_headers(body))
    await chat.settle()

    assert response.status_code == 200
    assert "2 bullets" in response.json()["text"]
    (payload,) = posted(hooks, "slack")
    assert_block_kit_limits(payload)
    text = "\n".join(mrkdwn_texts(payload))
    assert "Accepted (1)" in text and "Refused (1)" in text
    assert text.index(GOOD) < text.index("Refused (1)") < text.index("'Led' claims led-level ownership")
    assert llm.calls == [] and chat.stats.jobs[("slack", "ok")] == 1


# --- verification: forged and replayed requests are refused before anything runs ---------------------


def _wrong_secret(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, slack_headers(body, secret="not-the-signing-secret")


def _one_byte_changed(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = slack_headers(body)
    index = body.index(b"notification")
    return body[:index] + b"N" + body[index + 1 :], headers


def _no_signature(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = slack_headers(body)
    del headers["X-Slack-Signature"]
    return body, headers


def _no_timestamp(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = slack_headers(body)
    del headers["X-Slack-Request-Timestamp"]
    return body, headers


def _replayed(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, slack_headers(body, timestamp=NOW - 301)


def _from_the_future(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, slack_headers(body, timestamp=NOW + 301)


def _non_numeric_timestamp(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {**slack_headers(body), "X-Slack-Request-Timestamp": "yesterday"}


def _non_ascii_signature(body: bytes) -> tuple[bytes, dict[str, str | bytes]]:
    headers: dict[str, str | bytes] = {**slack_headers(body)}
    headers["X-Slack-Signature"] = (slack_headers(body)["X-Slack-Signature"][:-1] + "é").encode("latin-1")
    return body, headers


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (_wrong_secret, "bad_signature"),
        (_one_byte_changed, "bad_signature"),
        (_no_signature, "missing_header"),
        (_no_timestamp, "missing_header"),
        (_replayed, "stale_timestamp"),
        (_from_the_future, "stale_timestamp"),
        (_non_numeric_timestamp, "malformed_header"),
        (_non_ascii_signature, "malformed_header"),
    ],
)
async def test_forged_or_replayed_requests_are_refused_and_counted(
    make_chat: MakeChat,
    hooks: respx.MockRouter,
    forge: Callable[[bytes], tuple[bytes, Mapping[str, str | bytes]]],
    reason: str,
) -> None:
    llm = FakeLLM(good_reply())
    chat = make_chat(llm)
    body, headers = forge(form(TEXT))

    response = await chat.post(PATH, body, headers)
    await chat.settle()

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:bulletguard:problem:unauthorized"
    assert problem["request_id"] == response.headers["x-request-id"]
    assert "www-authenticate" in response.headers
    assert chat.llm_requests == 0 and llm.calls == []  # nothing ran
    assert not hooks.calls
    assert chat.stats.refusals == {("slack", reason): 1}


async def test_the_replay_window_is_five_minutes(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM(good_reply()))
    body = form(TEXT)

    response = await chat.post(PATH, body, slack_headers(body, timestamp=NOW - 300))
    await chat.settle()

    assert response.status_code == 200
    assert len(posted(hooks, "slack")) == 1


async def test_a_refusal_does_not_log_the_secret_or_the_text(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM())
    body = form(TEXT)

    with structlog.testing.capture_logs() as logs:
        response = await chat.post(PATH, body, slack_headers(body, secret="wrong"))

    assert response.status_code == 401
    assert any(e["event"] == "chatops_refused" and e["reason"] == "bad_signature" for e in logs)
    assert SIGNING_SECRET not in repr(logs)
    assert "memory leak" not in repr(logs)


async def test_not_configured_is_404(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM(), slack_signing_secret=None)
    body = form(TEXT)

    response = await chat.post(PATH, body, slack_headers(body))

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert chat.llm_requests == 0 and not hooks.calls


# --- the quick ack, and the job in the background -------------------------------------------------


async def test_ack_returns_at_once_while_the_llm_takes_10_s(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    llm = SlowLLM(good_reply(), takes_s=10.0)
    chat = make_chat(llm)
    body = form(TEXT)

    started = time.perf_counter()
    response = await chat.post(PATH, body, slack_headers(body))
    ack_s = time.perf_counter() - started

    assert response.status_code == 200
    assert ack_s < 3.0
    await asyncio.wait_for(llm.started.wait(), timeout=5)
    assert not hooks.calls  # the LLM is still "thinking": nothing posted yet

    llm.released.set()  # let the 10-second call end now
    await chat.settle()
    (payload,) = posted(hooks, "slack")
    assert GOOD in "\n".join(mrkdwn_texts(payload))


async def test_an_llm_failure_reaches_the_user(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    failure = LLMUnavailable("The model openai/x is rate limited (HTTP 429, after 4 attempts).", retry_after_s=30)
    chat = make_chat(FakeLLM(failure))
    body = form(TEXT)

    response = await chat.post(PATH, body, slack_headers(body))
    await chat.settle()

    assert response.status_code == 200
    (payload,) = posted(hooks, "slack")
    assert payload["response_type"] == "ephemeral"
    assert "the model failed" in payload["text"]
    assert "rate limited (HTTP 429, after 4 attempts)" in payload["text"]
    assert "Try again in about 30 s" in payload["text"]
    assert chat.stats.jobs[("slack", "llm_error")] == 1


async def test_an_unexpected_job_error_reaches_the_user_with_the_request_id(
    make_chat: MakeChat, hooks: respx.MockRouter
) -> None:
    chat = make_chat(FakeLLM(RuntimeError("boom")))
    body = form(TEXT)

    response = await chat.post(PATH, body, {**slack_headers(body), "X-Request-ID": "req-42"})
    await chat.settle()

    assert response.status_code == 200
    (payload,) = posted(hooks, "slack")
    assert "went wrong on our side" in payload["text"] and "req-42" in payload["text"]
    assert chat.stats.jobs[("slack", "error")] == 1


async def test_a_failed_delivery_is_counted_not_raised(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    hooks.routes["slack"].respond(404, text="expired_url")
    chat = make_chat(FakeLLM(good_reply()))
    body = form(TEXT)

    with structlog.testing.capture_logs() as logs:
        await chat.post(PATH, body, slack_headers(body))
        await chat.settle()

    assert chat.stats.jobs[("slack", "delivery_failed")] == 1
    assert any(e["event"] == "chatops_delivery_failed" and e["status"] == 404 for e in logs)
    assert "hooks.slack.com" not in repr(logs)  # the response_url is a credential: never logged


async def test_no_note_text_in_the_logs_of_a_whole_command(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM(good_reply()))
    body = form(TEXT)

    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        await chat.post(PATH, body, {**slack_headers(body), "X-Request-ID": "req-7"})
        await chat.settle()

    dump = repr(logs)
    for private in ("memory leak", "Dana", "Fix unbounded", GOOD, "70%"):
        assert private not in dump
    done = [e for e in logs if e["event"] == "chatops_job_done"]
    assert done and done[0]["request_id"] == "req-7" and done[0]["outcome"] == "ok"


async def test_when_busy_the_user_is_asked_to_retry(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    llm = SlowLLM(good_reply())
    chat = make_chat(llm, chatops_max_jobs=1)
    first, second = form(TEXT), form("wrote a runbook")

    await chat.post(PATH, first, slack_headers(first))
    response = await chat.post(PATH, second, slack_headers(second))

    assert "busy" in response.json()["text"]
    llm.released.set()
    await chat.settle()
    assert llm.calls == 1 and len(posted(hooks, "slack")) == 1


async def test_a_job_cut_short_by_shutdown_tells_the_user(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    llm = SlowLLM(good_reply())
    chat = make_chat(llm)
    body = form(TEXT)
    await chat.post(PATH, body, slack_headers(body))
    await asyncio.wait_for(llm.started.wait(), timeout=5)

    assert await chatops_state(chat.app).jobs.drain(timeout_s=0.01) == 1

    (payload,) = posted(hooks, "slack")
    assert "run it again" in payload["text"]
    assert chat.stats.jobs[("slack", "cancelled")] == 1


# --- answered in the ack: help, input errors, unusable response_url ----------------------------------


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP"])
async def test_help_is_answered_at_once(make_chat: MakeChat, hooks: respx.MockRouter, text: str) -> None:
    llm = FakeLLM()
    chat = make_chat(llm)
    body = form(text, command="/resume")

    response = await chat.post(PATH, body, slack_headers(body))

    assert response.status_code == 200
    ack = response.json()
    assert ack["response_type"] == "ephemeral"
    assert "`/resume NOTES`" in ack["text"] and "evidence:" in ack["text"] and "verify" in ack["text"]
    assert chatops_jobs(chat) == 0 and not hooks.calls and llm.calls == []


def chatops_jobs(chat: Chat) -> int:
    return sum(chat.stats.jobs.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("evidence: PR-1: a fix", "Write your notes"),
        ("verify helped debug a leak", "needs the bullets"),
        ("x" * 101, "at most 100 characters"),
    ],
)
async def test_bad_input_is_explained_at_once(
    make_chat: MakeChat, hooks: respx.MockRouter, text: str, expected: str
) -> None:
    chat = make_chat(FakeLLM(), chatops_max_text_chars=100)
    body = form(text)

    response = await chat.post(PATH, body, slack_headers(body))
    await chat.settle()

    assert response.status_code == 200
    assert expected in response.json()["text"]
    assert not hooks.calls and chatops_jobs(chat) == 0


async def test_limits_of_the_api_apply(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM(), max_notes_chars=10)
    body = form("helped debug a memory leak")

    response = await chat.post(PATH, body, slack_headers(body))

    assert "notes: must have at most 10 characters" in response.json()["text"]
    assert "memory leak" not in response.json()["text"]  # the reason, never the text


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/commands/T0001/1234/abcdef",
        "http://hooks.slack.com/commands/T0001/1234/abcdef",
        "https://hooks.slack.com.evil.example.com/x",
        "https://hooks.slack.com:8443/commands/x",
    ],
)
async def test_a_response_url_off_slack_is_never_posted_to(
    make_chat: MakeChat, hooks: respx.MockRouter, url: str
) -> None:
    llm = FakeLLM(good_reply())
    chat = make_chat(llm)
    body = form(TEXT, response_url=url)

    response = await chat.post(PATH, body, slack_headers(body))
    await chat.settle()

    assert response.status_code == 200
    assert "BULLETGUARD_SLACK_ALLOWED_HOSTS" in response.json()["text"]
    assert not hooks.calls and llm.calls == []
    assert chat.stats.refusals == {("slack", "response_url_not_allowed"): 1}


async def test_allowed_hosts_are_configurable(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    url = "https://hooks.slack-gov.com/commands/T1/2/3"
    hooks.post(url, name="gov").respond(200, text="ok")
    chat = make_chat(FakeLLM(good_reply()), slack_allowed_hosts=["hooks.slack-gov.com"])
    body = form(TEXT, response_url=url)

    await chat.post(PATH, body, slack_headers(body))
    await chat.settle()

    assert len(posted(hooks, "gov")) == 1


# --- signed, but not a slash command --------------------------------------------------------------


async def test_a_signed_request_without_response_url_is_422(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM())
    body = b"command=%2Fbullets&text=hello"

    response = await chat.post(PATH, body, slack_headers(body))

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "response_url"]]


async def test_a_signed_json_body_is_415(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM())
    body = b'{"text": "hello"}'

    response = await chat.post(PATH, body, {**slack_headers(body), "Content-Type": "application/json"})

    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


async def test_shutdown_waits_for_running_jobs(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    llm = SlowLLM(good_reply(), takes_s=0.2)
    chat = make_chat(llm)
    body = form(TEXT)

    async with chat.app.router.lifespan_context(chat.app):
        response = await chat.post(PATH, body, slack_headers(body))
        assert response.status_code == 200
        assert not hooks.calls

    (payload,) = posted(hooks, "slack")  # delivered before the app finished shutting down
    assert GOOD in payload["text"]
