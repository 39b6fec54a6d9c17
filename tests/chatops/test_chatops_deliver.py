"""Where replies may go (the SSRF guard), how they are posted, and the chat-ops settings."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import respx
from pydantic import ValidationError

from service.chatops._deliver import allowed_response_url, post_reply
from service.settings import Settings

SLACK = ["hooks.slack.com"]


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/commands/T1/2/3",
        "https://HOOKS.slack.com/commands/T1/2/3",
        "https://hooks.slack.com:443/commands/T1/2/3",
    ],
)
def test_slack_hooks_are_allowed(url: str) -> None:
    assert allowed_response_url(url, SLACK)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/commands/T1/2/3",  # not https
        "https://evil.hooks.slack.com/x",  # a subdomain is another host
        "https://hooks.slack.com.evil.example/x",
        "https://hooks.slack.com@evil.example/x",  # userinfo trick: the host is evil.example
        "https://user:pw@hooks.slack.com/x",  # credentials in the URL
        "https://hooks.slack.com:8443/x",  # another port
        "https://hooks.slack.com:99999/x",  # not a port
        "file:///etc/passwd",
        "hooks.slack.com/commands",
        "",
        "https://[::1/x",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    assert not allowed_response_url(url, SLACK)


def test_ports_and_http_for_a_mattermost_server() -> None:
    hosts = ["chat.internal:8065", "mm.example.com"]

    assert allowed_response_url("http://chat.internal:8065/hooks/commands/x", hosts, allow_http=True)
    assert not allowed_response_url("http://chat.internal:8065/hooks/commands/x", hosts)  # http not allowed
    assert not allowed_response_url("https://chat.internal/hooks/commands/x", hosts)  # 443 is not 8065
    assert allowed_response_url("https://mm.example.com/hooks/commands/x", hosts)
    assert not allowed_response_url("https://mm.example.com:8065/hooks/commands/x", hosts)


def test_no_hosts_allow_nothing() -> None:
    assert not allowed_response_url("https://mm.example.com/hooks/commands/x", [])


URL = "https://hooks.slack.com/commands/T1/2/3"


@pytest.mark.anyio
async def test_post_reply_sends_json_and_reports_success() -> None:
    with respx.mock() as router:
        route = router.post(URL).respond(200, text="ok")

        assert await post_reply(URL, {"text": "hi"}, timeout_s=1.0)

    (call,) = route.calls
    assert call.request.headers["content-type"] == "application/json"
    assert call.request.content == b'{"text":"hi"}'


@pytest.mark.anyio
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500),
        httpx.Response(404, text="expired_url"),
        httpx.Response(302, headers={"Location": "http://x"}),
    ],
)
async def test_post_reply_failures_are_false_and_redirects_are_not_followed(answer: httpx.Response) -> None:
    with respx.mock() as router:
        route = router.post(URL).mock(return_value=answer)

        assert not await post_reply(URL, {"text": "hi"}, timeout_s=1.0)

    assert route.call_count == 1


@pytest.mark.anyio
async def test_post_reply_network_errors_are_false() -> None:
    with respx.mock() as router:
        router.post(URL).mock(side_effect=httpx.ConnectError("refused"))

        assert not await post_reply(URL, {"text": "hi"}, timeout_s=1.0)


# --- settings ------------------------------------------------------------------------------------


def test_chatops_is_off_by_default() -> None:
    settings = Settings()

    assert settings.slack_signing_secret is None and settings.mattermost_token is None
    assert settings.slack_allowed_hosts == ["hooks.slack.com"]
    assert settings.mattermost_allowed_hosts == []
    assert settings.mattermost_allow_http is False


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETGUARD_SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("BULLETGUARD_MATTERMOST_TOKEN", "   ")
    monkeypatch.setenv("BULLETGUARD_SLACK_ALLOWED_HOSTS", "hooks.slack.com, Hooks.Slack-Gov.com")
    monkeypatch.setenv("BULLETGUARD_MATTERMOST_ALLOWED_HOSTS", "chat.internal:8065")

    settings = Settings()

    assert settings.slack_signing_secret is not None
    assert settings.slack_signing_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.mattermost_token is None  # blank means unset: the route stays 404
    assert settings.slack_allowed_hosts == ["hooks.slack.com", "hooks.slack-gov.com"]
    assert settings.mattermost_allowed_hosts == ["chat.internal:8065"]


@pytest.mark.parametrize("entry", ["https://hooks.slack.com", "hooks.slack.com/commands", "host:port", "a b"])
def test_host_entries_must_be_plain_hosts(entry: str) -> None:
    with pytest.raises(ValidationError):
        Settings(slack_allowed_hosts=[entry])


# --- the Slack app manifest in docs/ ------------------------------------------------------------


def test_the_slack_manifest_points_at_the_slack_route() -> None:
    manifest = json.loads((Path(__file__).resolve().parents[2] / "docs" / "slack-app-manifest.json").read_text())

    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/bullets"
    assert urlsplit(command["url"]).path == "/v1/chatops/slack"
    assert command["should_escape"] is False  # mentions stay plain text; & < > are unescaped by the route
    assert manifest["oauth_config"]["scopes"]["bot"] == ["commands"]
