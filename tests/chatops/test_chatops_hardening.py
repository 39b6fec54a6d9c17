"""Issue 18 through the real app: every chat-ops failure reaches the user, replays are refused, a
non-UTF-8 body is a 400, and nothing the sender controls can format, link or mention in a reply."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
import respx

from service.rewrite.llm.errors import LLMUnavailable
from tests.chatops.chatkit import NOW, SIGNING_SECRET, form, slack_headers
from tests.chatops.conftest import MATTERMOST_RESPONSE_URL, MATTERMOST_TOKEN, Chat, posted
from tests.fakes import FakeLLM, reply

pytestmark = pytest.mark.anyio

NOTES = "helped debug a memory leak in the notification worker"
GOOD = "Helped debug a memory leak in the notification worker."
SLACK = "/v1/chatops/slack"
MATTERMOST = "/v1/chatops/mattermost"
MakeChat = Callable[..., Chat]


def _mm(text: str, command: str = "/bullets") -> bytes:
    return urlencode(
        {"command": command, "response_url": MATTERMOST_RESPONSE_URL, "text": text, "token": MATTERMOST_TOKEN}
    ).encode()


_MM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Token {MATTERMOST_TOKEN}"}


@pytest.mark.parametrize("seconds", [float("inf"), 1e12, float("nan")], ids=["inf", "1e12", "nan"])
async def test_an_upstream_retry_after_of_any_size_still_reaches_the_user(
    make_chat: MakeChat, hooks: respx.MockRouter, seconds: float
) -> None:
    chat = make_chat(FakeLLM(LLMUnavailable("The model m is rate limited (HTTP 429).", retry_after_s=seconds)))

    body = form(NOTES)
    assert (await chat.post(SLACK, body, slack_headers(body))).status_code == 200
    await chat.settle()

    (payload,) = posted(hooks, "slack")
    assert "the model failed" in payload["text"]
    assert chat.stats.jobs == {("slack", "llm_error"): 1}


async def test_a_model_bullet_with_a_lone_surrogate_still_reaches_the_user(
    make_chat: MakeChat, hooks: respx.MockRouter
) -> None:
    surrogate = '{"bullets": [{"text": "Helped debug a leak \\ud800", "sources": ["notes"], "proof_area": "api"}]}'
    chat = make_chat(FakeLLM(surrogate))

    body = form(NOTES)
    assert (await chat.post(SLACK, body, slack_headers(body))).status_code == 200
    await chat.settle()

    (payload,) = posted(hooks, "slack")
    assert payload["text"]  # a reply was delivered (no bullets: the reply was unusable)
    assert chat.stats.jobs == {("slack", "ok"): 1}


async def test_a_replayed_slack_request_is_refused(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM(reply((GOOD, ["notes"], "reliability"))))
    body = form(NOTES)
    headers = slack_headers(body)

    first = await chat.post(SLACK, body, headers)
    again = await chat.post(SLACK, body, headers)  # same signature, within the 300 s window
    await chat.settle()

    assert first.status_code == 200
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"
    assert chat.stats.refusals == {("slack", "replayed"): 1}
    assert len(posted(hooks, "slack")) == 1


async def test_a_signed_body_that_is_not_utf8_is_a_400(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat()
    body = b"text=\xff\xfe&response_url=x"
    base = f"v0:{int(NOW)}:".encode() + body
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(int(NOW)),
        "X-Slack-Signature": signature,
    }

    response = await chat.post(SLACK, body, headers)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert chat.stats.refusals == {}


async def test_the_command_field_cannot_put_a_link_into_the_ack(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat()

    response = await chat.post(MATTERMOST, _mm("help", command="[click](https://evil.example)"), _MM_HEADERS)

    assert response.status_code == 200
    assert "evil.example" not in response.text
    assert "/bullets" in response.json()["text"]


async def test_bullets_in_a_mattermost_reply_cannot_mention(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    notes = "helped debug a memory leak in the notification worker @here"
    chat = make_chat(FakeLLM(reply(("Helped debug a memory leak in the notification worker @here", ["notes"], "api"))))

    assert (await chat.post(MATTERMOST, _mm(notes), _MM_HEADERS)).status_code == 200
    await chat.settle()

    (payload,) = posted(hooks, "mattermost")
    assert "notification worker" in payload["text"]
    assert "@here" not in payload["text"]
