"""Issue 18 ("no request can stall, bloat or break the service"), each repro as a regression test against
the real app. Timing is by events: the heavy work blocks on a ``threading.Event`` the test controls."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.contract import rewriting
from service.guard import extract_facts
from service.http.app import create_app
from service.http.auth import hash_api_key
from service.http.llm_client import get_llm_client
from service.rewrite import grounding
from service.rewrite.llm.errors import LLMUnavailable
from service.settings import Settings
from tests.conftest import ACCEPTED_BULLET, NOTES, REWRITE_BODY
from tests.fakes import FakeLLM, reply

Factory = Callable[..., tuple[TestClient, FakeLLM]]


@pytest.fixture
def make() -> Factory:
    def factory(*replies: str | BaseException, **settings: Any) -> tuple[TestClient, FakeLLM]:
        fake = FakeLLM(*replies)
        app = create_app(Settings(**{"max_reasks": 0, **settings}))
        app.dependency_overrides[get_llm_client] = lambda: fake
        return TestClient(app), fake

    return factory


@pytest.fixture
def blocked_reading(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The rewrite's reading of its input, held until the test sets ``release`` (``entered`` says it began).
    Held for at most 10 s: a reading that was never released fails the test (see ``released_in_time``)."""
    entered, release = threading.Event(), threading.Event()

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        if not release.wait(timeout=10):
            raise AssertionError("the held reading was never released: something waited for it")
        return extract_facts(*args, **kwargs)

    monkeypatch.setattr(rewriting, "extract_facts", held)
    yield entered, release
    release.set()


# --- 1. the event loop never runs guard work -------------------------------------------------------


def test_the_loop_answers_healthz_while_a_rewrite_reads_its_notes(
    make: Factory, blocked_reading: tuple[threading.Event, threading.Event]
) -> None:
    entered, release = blocked_reading
    client, _ = make(reply((ACCEPTED_BULLET, ["notes"], "reliability")))
    with client:
        assert client.get("/healthz").status_code == 200  # warm: the first request builds the OpenAPI document
        answers: list[int] = []
        heavy = threading.Thread(
            target=lambda: answers.append(client.post("/v1/rewrite", json=REWRITE_BODY).status_code)
        )
        heavy.start()
        assert entered.wait(timeout=10)

        # /healthz answers while the reading is still held: had the loop run the reading, it would wait
        # for the release below, which only comes after the answer, and the reading would fail after 10 s
        health = client.get("/healthz")
        release.set()
        heavy.join(timeout=10)
    assert health.status_code == 200
    assert answers == [200]


def test_the_notes_are_read_once_per_rewrite(make: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real = rewriting.extract_facts
    monkeypatch.setattr(rewriting, "extract_facts", lambda notes, *a: reads.append(notes) or real(notes, *a))
    monkeypatch.setattr("service.coach._read.extract_facts", lambda *a: pytest.fail("the notes were read again"))
    client, _ = make(reply((ACCEPTED_BULLET, ["notes"], "reliability")))

    body = {**REWRITE_BODY, "job_description": "Backend engineer: PostgreSQL, on-call rotation."}
    response = client.post("/v1/rewrite", json=body)

    assert response.status_code == 200, response.text
    assert response.json()["questions"] and response.json()["match"] is not None
    assert reads == [REWRITE_BODY["notes"]]


# --- 2. the LLM limit is charged before the CPU work ----------------------------------------------


def test_a_client_over_the_llm_limit_gets_its_429_before_any_guard_work(
    make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, fake = make(reply((ACCEPTED_BULLET, ["notes"], "reliability")), llm_rate_limit="1/minute")
    assert client.post("/v1/rewrite", json=REWRITE_BODY).status_code == 200
    monkeypatch.setattr(rewriting, "extract_facts", lambda *a: pytest.fail("guard work for a refused client"))

    response = client.post("/v1/rewrite", json=REWRITE_BODY)

    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert len(fake.calls) == 1


# --- 3. model output is bounded like input ---------------------------------------------------------


def test_a_model_bullet_longer_than_max_bullet_chars_is_never_accepted(make: Factory) -> None:
    long_bullet = ACCEPTED_BULLET[:-1] + ", in the notification worker" * 40 + "."
    client, _ = make(reply((long_bullet, ["notes"], "reliability")), max_bullet_chars=200)

    response = client.post("/v1/rewrite", json={"notes": NOTES + " notification worker"})

    assert response.status_code == 200, response.text
    data = response.json()
    # only the notes' own sentences (fallback), never the model's
    assert [b for b in data["bullets"] if b["origin"] != "fallback"] == [] and data["rejected"] == []
    assert data["reply_errors"] == ["bullets[0].text: is too long (at most 200 characters)"]


def test_a_huge_reply_is_refused_unread(make: Factory) -> None:
    client, _ = make("x" * 200_000, max_bullet_chars=100)

    data = client.post("/v1/rewrite", json={"notes": NOTES}).json()

    model = [b for b in data["bullets"] if b["origin"] != "fallback"]  # the notes' own sentences aside
    assert model == [] and data["reply_errors"][0].startswith("The reply is too long")


# --- 5. per-word memos are bounded -----------------------------------------------------------------


def test_the_stem_memo_stays_bounded_whatever_the_words() -> None:
    words = " ".join(f"w{n:06d}x" for n in range(grounding.STEM_CACHE_SIZE + 1000)).replace("0", "q")

    grounding.Grounding([words])

    info = grounding._stem.cache_info()
    assert info.maxsize == grounding.STEM_CACHE_SIZE
    assert info.currsize <= grounding.STEM_CACHE_SIZE


# --- 6. metric labels come from fixed sets ---------------------------------------------------------


def test_made_up_methods_are_labelled_other(make: Factory) -> None:
    client, _ = make()

    for n in range(30):
        client.request(f"X{n:05d}", "/nowhere")
    text = client.get("/metrics").text

    assert "X00001" not in text
    assert 'method="other"' in text


# --- 8. lone surrogates and hostile replies are never a 500 -----------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/verify", '{"notes": "helped", "bullets": ["Helped \\ud800"]}'),
        ("/v1/match", '{"notes": "moved to postgres \\ud800", "job_description": "PostgreSQL"}'),
        ("/v1/questions", '{"notes": "x", "evidence": [{"id": "E-1", "text": "\\udfff"}]}'),
        ("/v1/rewrite", '{"notes": "\\ud800"}'),
        ("/v1/rewrite", '{"notes": "helped", "redact": ["\\ud800x"]}'),
    ],
    ids=["verify-bullet", "match-notes", "questions-evidence", "rewrite-notes", "rewrite-redact"],
)
def test_a_lone_surrogate_in_any_input_is_a_422(make: Factory, path: str, body: str) -> None:
    client, fake = make()

    response = client.post(path, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fake.calls == []  # never retried upstream, never a false outage alert


@pytest.mark.parametrize(
    "content",
    [
        '{"bullets": [{"text": "Helped debug a memory leak \\ud800", "sources": ["notes"], "proof_area": "api"}]}',
        "[" * 100_000 + "]" * 100_000,
        '{"bullets": [{"text": "Helped", "sources": ["notes"], "proof_area": "api", "n": ' + "9" * 10_000 + "}]}",
    ],
    ids=["surrogate-bullet", "nested-100000-deep", "10000-digit-integer"],
)
def test_a_hostile_model_reply_is_a_format_error_not_a_500(make: Factory, content: str) -> None:
    client, _ = make(content)

    response = client.post("/v1/rewrite", json={"notes": NOTES})

    assert response.status_code == 200, response.text
    data = response.json()
    assert [b for b in data["bullets"] if b["origin"] != "fallback"] == [] and data["reply_errors"]


# --- 10. upstream Retry-After is capped -------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "header"), [(float("inf"), "600"), (1e12, "600"), (2.2, "3")])
def test_an_upstream_retry_after_is_relayed_capped(make: Factory, seconds: float, header: str) -> None:
    client, _ = make(LLMUnavailable("The model m is rate limited (HTTP 429).", retry_after_s=seconds))

    response = client.post("/v1/rewrite", json={"notes": NOTES})

    assert response.status_code == 503
    assert response.headers["retry-after"] == header


# --- 12, 13. what goes back to the model or the client ----------------------------------------------


def test_a_redacted_terms_alias_does_not_leak_in_re_ask_feedback(make: Factory) -> None:
    notes = "moved the session store to postgres; added an index on user_id"
    client, fake = make(
        reply(("Moved the session store to MySQL.", ["notes"], "data")),
        reply(("Moved the session store; added an index on user_id.", ["notes"], "data")),
        max_reasks=1,
        rewrite_repair=False,  # a re-ask, not the salvage of "Moved the session store."
    )

    response = client.post("/v1/rewrite", json={"notes": notes, "redact": ["postgres"], "options": {"max_bullets": 1}})

    assert response.status_code == 200, response.text
    retry = fake.calls[1].text.casefold()
    assert "postgres" not in retry  # neither the term nor its alias PostgreSQL
    assert "[[redacted_1]]" in retry


def test_reply_errors_name_the_path_and_rule_never_the_models_text(make: Factory) -> None:
    invented = "Led a 70% cut in memory use, saving $2M"
    client, _ = make(json.dumps({"bullets": [{"text": invented, "sources": ["notes"], "proof_area": "marketing"}]}))

    data = client.post("/v1/rewrite", json={"notes": NOTES}).json()

    assert data["reply_errors"] == ["bullets[0].proof_area: is not one of the allowed values"]
    assert "70%" not in json.dumps(data) and "marketing" not in json.dumps(data)


# --- 14. options.model is on an allow-list ----------------------------------------------------------


@pytest.mark.parametrize("model", ["huggingface/x", " ", "openai/gpt-4o"])
def test_a_model_not_on_the_allow_list_is_a_422(make: Factory, model: str) -> None:
    client, fake = make(model="openai/main", fallback_models=["openai/backup"])

    response = client.post("/v1/rewrite", json={"notes": NOTES, "options": {"model": model}})

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "options", "model"]
    assert fake.calls == []


def test_the_configured_model_and_its_fallbacks_are_allowed(make: Factory) -> None:
    client, fake = make(
        reply((ACCEPTED_BULLET, ["notes"], "reliability")), model="openai/main", fallback_models=["openai/backup"]
    )

    response = client.post("/v1/rewrite", json={"notes": NOTES, "options": {"model": "openai/backup"}})

    assert response.status_code == 200
    assert fake.calls[0].model == "openai/backup"


# --- 18. smaller edges ------------------------------------------------------------------------------

KEY = "bg_test-key-0123456789"


def test_an_empty_x_api_key_does_not_hide_a_valid_bearer(make: Factory) -> None:
    client, _ = make(api_keys=[hash_api_key(KEY)])

    body = {"notes": NOTES, "bullets": [ACCEPTED_BULLET]}
    response = client.post("/v1/verify", json=body, headers={"X-API-Key": "", "Authorization": f"Bearer {KEY}"})

    assert response.status_code == 200, response.text


def test_refused_keys_are_rate_limited(make: Factory) -> None:
    client, _ = make(api_keys=[hash_api_key(KEY)], rate_limit="2/minute")

    statuses = [client.post("/v1/verify", json={}, headers={"X-API-Key": f"guess-{n}"}).status_code for n in range(3)]

    assert statuses == [401, 401, 429]


@pytest.mark.parametrize(
    "options",
    [{"max_bullets": "3"}, {"max_bullets": True}, {"temperature": "0.2"}, {"max_bullets": 2.0}],
    ids=["bullets-as-string", "bullets-as-bool", "temperature-as-string", "bullets-as-float"],
)
def test_options_are_not_coerced(make: Factory, options: dict[str, Any]) -> None:
    client, fake = make()

    response = client.post("/v1/rewrite", json={"notes": NOTES, "options": options})

    assert response.status_code == 422, response.text
    assert fake.calls == []


# --- 11. redaction under Unicode normalization --------------------------------------------------------


def test_a_redacted_name_spelled_nfd_is_masked_and_its_echo_refused(make: Factory) -> None:
    notes = "helped debug a memory leak in the notification worker with Zoe\u0308"
    echo = "Helped debug a memory leak in the notification worker with Zoe\u0308."
    client, fake = make(reply((echo, ["notes"], "reliability")))

    response = client.post("/v1/rewrite", json={"notes": notes, "redact": ["Zoë"]})

    assert response.status_code == 200, response.text
    assert "zoe" not in fake.calls[0].text.casefold()
    data = response.json()
    (salvaged,) = data["bullets"]  # the echo without the name
    assert (salvaged["origin"], salvaged["text"]) == (
        "repaired",
        "Helped debug a memory leak in the notification worker.",
    )
    assert [v["kind"] for v in salvaged["original_violations"]] == ["redacted"]
