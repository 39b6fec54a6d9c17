"""``POST /v1/chatops/mattermost``: the command token, the Markdown reply, the Mattermost host allow-list."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest
import respx

from service.rewrite.llm.errors import LLMTimeout
from tests.chatops.conftest import MATTERMOST_RESPONSE_URL, MATTERMOST_TOKEN, Chat, posted
from tests.fakes import FakeLLM, reply

pytestmark = pytest.mark.anyio

PATH = "/v1/chatops/mattermost"
NOTES = "helped debug a memory leak in the notification worker"
GOOD = "Helped debug a memory leak in the notification worker."
BAD = "Led a 70% cut in memory use across all services."
FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}

MakeChat = Callable[..., Chat]


def mm_form(text: str, *, token: str = MATTERMOST_TOKEN, response_url: str = MATTERMOST_RESPONSE_URL) -> bytes:
    return urlencode(
        {
            "channel_id": "jux16pkewjrkfj3ehep1psxyxc",
            "channel_name": "town-square",
            "command": "/bullets",
            "response_url": response_url,
            "team_domain": "test",
            "team_id": "carya1qs77bemjup96ff538snh",
            "text": text,
            "token": token,
            "user_id": "aoa1agao6t8fmx3ikt1j9w5ybw",
            "user_name": "somename",
        }
    ).encode()


def auth(token: str = MATTERMOST_TOKEN) -> dict[str, str]:
    return {**FORM_TYPE, "Authorization": f"Token {token}"}


async def test_command_with_token_is_answered_in_markdown(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    llm = FakeLLM(reply((GOOD, ["notes"], "reliability"), (BAD, ["notes"], "performance")))
    chat = make_chat(llm)

    response = await chat.post(PATH, mm_form(NOTES + "\nredact: Dana"), auth())
    await chat.settle()

    assert response.status_code == 200, response.text
    assert response.json()["response_type"] == "ephemeral"
    assert "Working on it" in response.json()["text"]
    (payload,) = posted(hooks, "mattermost")
    assert payload["response_type"] == "ephemeral"
    assert "blocks" not in payload
    text = payload["text"]
    assert text.startswith("#### Guarded bullets")
    assert f"- {GOOD}" in text
    # the refused bullet is Markdown-escaped, with each violation's span and message
    assert "- Led a 70% cut in memory use across all services." in text
    assert "`70%`: '70%' is a percentage the input does not state." in text
    assert text.index(GOOD) < text.index("Refused (1)")
    assert text.index("Refused (1)") < text.index("Questions that would make these bullets stronger")
    assert "- performance: What did you measure before and after, and where?" in text
    assert chat.stats.jobs[("mattermost", "ok")] == 1


async def test_the_form_token_is_enough_without_the_header(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM(reply((GOOD, ["notes"], "reliability"))))

    response = await chat.post(PATH, mm_form(NOTES), FORM_TYPE)
    await chat.settle()

    assert response.status_code == 200
    assert len(posted(hooks, "mattermost")) == 1


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (mm_form(NOTES, token="wrong"), FORM_TYPE, "bad_token"),
        (mm_form(NOTES), auth("wrong"), "bad_token"),  # the header decides, even when the form token is right
        (mm_form(NOTES, token=""), FORM_TYPE, "missing_token"),
        (mm_form(NOTES, token=MATTERMOST_TOKEN[:-1]), FORM_TYPE, "bad_token"),
    ],
)
async def test_a_wrong_or_missing_token_is_refused_and_counted(
    make_chat: MakeChat, hooks: respx.MockRouter, body: bytes, headers: dict[str, str], reason: str
) -> None:
    llm = FakeLLM(reply((GOOD, ["notes"], "reliability")))
    chat = make_chat(llm)

    response = await chat.post(PATH, body, headers)
    await chat.settle()

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Token")
    assert chat.llm_requests == 0 and llm.calls == [] and not hooks.calls
    assert chat.stats.refusals == {("mattermost", reason): 1}


async def test_not_configured_is_404(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM(), mattermost_token=None)

    response = await chat.post(PATH, mm_form(NOTES), auth())

    assert response.status_code == 404
    assert chat.llm_requests == 0


async def test_an_llm_failure_reaches_the_user(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    chat = make_chat(FakeLLM(LLMTimeout("The model m did not answer in time (after 4 attempts).")))

    await chat.post(PATH, mm_form(NOTES), auth())
    await chat.settle()

    (payload,) = posted(hooks, "mattermost")
    assert payload["text"].startswith(":warning:")
    assert "did not answer in time" in payload["text"] and "Try again" in payload["text"]


async def test_verify_and_help_work_the_same_way(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    llm = FakeLLM()
    chat = make_chat(llm)

    help_response = await chat.post(PATH, mm_form("help"), auth())
    verify_response = await chat.post(PATH, mm_form(f"verify {NOTES}\n* {BAD}"), auth())
    await chat.settle()

    assert "`/bullets verify NOTES`" in help_response.json()["text"]
    assert "1 bullet " in verify_response.json()["text"]
    (payload,) = posted(hooks, "mattermost")
    assert "#### Checked bullets" in payload["text"] and "Refused (1)" in payload["text"]
    assert llm.calls == []


@pytest.mark.parametrize(
    ("url", "settings"),
    [
        (MATTERMOST_RESPONSE_URL, {"mattermost_allowed_hosts": []}),  # nothing allowed by default
        ("https://other.example.com/hooks/commands/x", {}),
        ("http://chat.example.com/hooks/commands/x", {}),  # plain http needs mattermost_allow_http
        ("http://chat.example.com:8065/hooks/commands/x", {"mattermost_allow_http": True}),  # port not allowed
    ],
)
async def test_a_response_url_off_the_allowed_hosts_is_never_posted_to(
    make_chat: MakeChat, hooks: respx.MockRouter, url: str, settings: dict[str, object]
) -> None:
    llm = FakeLLM(reply((GOOD, ["notes"], "reliability")))
    chat = make_chat(llm, **settings)

    response = await chat.post(PATH, mm_form(NOTES, response_url=url), auth())
    await chat.settle()

    assert "BULLETGUARD_MATTERMOST_ALLOWED_HOSTS" in response.json()["text"]
    assert not hooks.calls and llm.calls == []


async def test_a_plain_http_server_can_be_allowed(make_chat: MakeChat, hooks: respx.MockRouter) -> None:
    url = "http://10.0.0.5:8065/hooks/commands/xbrkb8p393gjpq5cawei7npije"
    hooks.post(url, name="internal").respond(200)
    chat = make_chat(
        FakeLLM(reply((GOOD, ["notes"], "reliability"))),
        mattermost_allowed_hosts=["10.0.0.5:8065"],
        mattermost_allow_http=True,
    )

    await chat.post(PATH, mm_form(NOTES, response_url=url), auth())
    await chat.settle()

    (payload,) = posted(hooks, "internal")
    assert GOOD in payload["text"]
