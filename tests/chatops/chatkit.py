"""Shared helpers of the chat-ops tests: signing Slack requests, Block Kit limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_700_000_000.0
SLACK_RESPONSE_URL = "https://hooks.slack.com/commands/T0001/1234/abcdef"

# Slack's documented Block Kit limits, stated here independently of the renderer's constants.
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION_TEXT = 3000
SLACK_MAX_HEADER_TEXT = 150
SLACK_MAX_CONTEXT_ELEMENTS = 10


class FrozenClock:
    """A slack_sdk ``Clock`` that always says ``now``."""

    def __init__(self, now: float = NOW) -> None:
        self.now_s = now

    def now(self) -> float:
        return self.now_s


def form(text: str, *, response_url: str = SLACK_RESPONSE_URL, **extra: str) -> bytes:
    fields = {
        "token": "legacy-verification-token",
        "team_id": "T0001",
        "channel_id": "C2147483705",
        "user_id": "U2147483697",
        "command": "/bullets",
        "text": text,
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        **extra,
    }
    return urlencode(fields).encode()


def slack_headers(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: float = NOW) -> dict[str, str]:
    """Headers Slack would send, signed by slack_sdk itself (the oracle, not the code under test)."""
    ts = str(int(timestamp))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def mrkdwn_texts(payload: Mapping[str, Any]) -> list[str]:
    """Every mrkdwn text of a Slack payload: the top-level text and each block's."""
    texts = [payload["text"]]
    for block in payload.get("blocks", []):
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts += [element["text"] for element in block["elements"]]
    return texts


def assert_block_kit_limits(payload: Mapping[str, Any]) -> None:
    """Slack's limits for a message: blocks, section/header/context sizes, and a top-level fallback."""
    assert isinstance(payload.get("text"), str) and payload["text"].strip(), "a plain-text fallback is required"
    blocks = payload.get("blocks", [])
    assert len(blocks) <= SLACK_MAX_BLOCKS
    for block in blocks:
        kind = block["type"]
        assert kind in {"header", "section", "context", "divider"}
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= SLACK_MAX_HEADER_TEXT
        elif kind == "section":
            assert block["text"]["type"] == "mrkdwn"
            assert 0 < len(block["text"]["text"]) <= SLACK_MAX_SECTION_TEXT
        elif kind == "context":
            assert 0 < len(block["elements"]) <= SLACK_MAX_CONTEXT_ELEMENTS
            assert all(0 < len(e["text"]) <= SLACK_MAX_SECTION_TEXT for e in block["elements"])
