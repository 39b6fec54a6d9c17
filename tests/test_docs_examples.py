"""The curl examples in the README and docs/ are requests the service accepts, and the answers shown
beside them are what it answers.

Each ```sh block with ``curl ... http://127.0.0.1:8000/<path> ... -d '<json>'`` is sent to the app; when
the next fenced block is ```json, it is the documented answer. Deterministic endpoints must answer it
exactly (``/v1/verify``, ``/v1/match``) or contain it (``/v1/questions``, abridged in the docs). For
``/v1/rewrite`` the documented answer came from the bundled model: the fake LLM replays the bullets it
shows, and the service must accept exactly those (so the README never shows a bullet the guard refuses).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.settings import Settings
from tests.fakes import FakeLLM

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
_URL = re.compile(r"http://127\.0\.0\.1:8000(/[\w/.-]+)")
_BODY = re.compile(r"-d '(.*?)'", re.DOTALL)


@dataclass(frozen=True)
class Example:
    where: str
    path: str
    body: dict[str, Any]
    answer: Any | None  # the documented answer, when a ```json block follows


def _examples() -> list[Example]:
    out: list[Example] = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        blocks = list(_FENCE.finditer(text))
        for i, block in enumerate(blocks):
            lang, code = block.group(1), block.group(2)
            url, body = _URL.search(code), _BODY.search(code)
            if lang != "sh" or "curl" not in code or url is None or body is None:
                continue
            follower = blocks[i + 1] if i + 1 < len(blocks) else None
            answer = json.loads(follower.group(2)) if follower is not None and follower.group(1) == "json" else None
            line = text.count("\n", 0, block.start()) + 1
            out.append(Example(f"{doc.relative_to(ROOT)}:{line}", url.group(1), json.loads(body.group(1)), answer))
    return out


EXAMPLES = _examples()


def test_the_docs_have_the_examples_users_copy() -> None:
    assert {e.path for e in EXAMPLES} >= {"/v1/rewrite", "/v1/verify", "/v1/questions", "/v1/match"}


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_a_documented_curl_example_gets_the_documented_answer(example: Example) -> None:
    fake = FakeLLM()
    if example.path == "/v1/rewrite":
        assert example.answer is not None, "show what /v1/rewrite answered"
        shown = [{k: b[k] for k in ("text", "sources", "proof_area")} for b in example.answer["bullets"]]
        fake = FakeLLM(json.dumps({"bullets": shown}))
    app = create_app(Settings(max_reasks=0))  # one reply: the bullets the docs show
    app.dependency_overrides[get_llm_client] = lambda: fake

    response = TestClient(app).post(example.path, json=example.body)

    assert response.status_code == 200, response.text
    got = response.json()
    if example.answer is None:
        return
    if example.path == "/v1/rewrite":
        assert got["bullets"] == example.answer["bullets"]
        assert got["rejected"] == example.answer["rejected"]
        for question in example.answer["questions"]:
            assert question in got["questions"]
    elif example.path == "/v1/questions":
        for question in example.answer["questions"]:  # the docs show an abridged list
            assert question in got["questions"]
    else:
        assert got == example.answer
