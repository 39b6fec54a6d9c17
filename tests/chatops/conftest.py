"""Fixtures of the chat-ops tests: an app with a swappable LLM and a frozen Slack clock, and a stubbed
``response_url`` (respx) that records what the service posts back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI

from service.chatops import ChatopsStats, chatops_state
from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.http.routes.chatops import get_slack_clock
from service.rewrite.port import LLMClient
from service.settings import Settings
from tests.chatops.chatkit import SIGNING_SECRET, SLACK_RESPONSE_URL, FrozenClock
from tests.fakes import FakeLLM

MATTERMOST_TOKEN = "xbrkb8p393gjpq5cawei7npije"
MATTERMOST_RESPONSE_URL = "https://chat.example.com/hooks/commands/zozc1xwxybdedeyz8djwjpngny"


@dataclass
class Chat:
    """The app under test, and how often it asked for an LLM client (proof that nothing ran)."""

    app: FastAPI
    clock: FrozenClock
    llm: LLMClient
    llm_requests: int = 0

    async def post(self, path: str, body: bytes, headers: Mapping[str, str | bytes]) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bulletguard.test") as client:
            raw = [
                (name.encode(), value if isinstance(value, bytes) else value.encode())
                for name, value in headers.items()
            ]
            return await client.post(path, content=body, headers=raw)

    async def settle(self) -> None:
        """Wait for the background jobs the commands started."""
        await chatops_state(self.app).jobs.drain(timeout_s=10)

    @property
    def stats(self) -> ChatopsStats:
        return chatops_state(self.app).stats


@pytest.fixture
def make_chat() -> Callable[..., Chat]:
    """``make_chat(llm, **settings)``: a fresh app configured for Slack and Mattermost."""

    def factory(llm: LLMClient | None = None, **overrides: Any) -> Chat:
        """``llm`` defaults to a FakeLLM with no replies: any call to it fails the job."""
        settings: dict[str, Any] = {
            "slack_signing_secret": SIGNING_SECRET,
            "mattermost_token": MATTERMOST_TOKEN,
            "mattermost_allowed_hosts": ["chat.example.com"],
            "max_reasks": 0,
            "log_json": True,
        }
        settings.update(overrides)
        app = create_app(Settings(**settings))
        chat = Chat(app=app, clock=FrozenClock(), llm=llm if llm is not None else FakeLLM())

        def llm_dependency() -> LLMClient:
            chat.llm_requests += 1
            return chat.llm

        app.dependency_overrides[get_llm_client] = llm_dependency
        app.dependency_overrides[get_slack_clock] = lambda: chat.clock
        return chat

    return factory


@pytest.fixture
def hooks() -> Iterator[respx.MockRouter]:
    """The chat servers' ``response_url`` endpoints; any other outbound request fails the test."""
    with respx.mock(assert_all_called=False) as router:
        router.post(SLACK_RESPONSE_URL, name="slack").respond(200, text="ok")
        router.post(MATTERMOST_RESPONSE_URL, name="mattermost").respond(200, text="ok")
        yield router


def posted(router: respx.MockRouter, name: str) -> list[dict[str, Any]]:
    """The JSON payloads posted to one ``response_url``."""
    return [json.loads(call.request.content) for call in router.routes[name].calls]
