"""``POST /v1/check-edit``: both versions inline (texts or JSON Resume objects), the same answer as
``bulletguard check-edit --json``; an invalid resume is a 422 problem naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from service.contract.resume import CHECK_EDIT_EXAMPLES
from service.http.routes.check_edit import RESPONSE_EXAMPLES
from tests.resume.expectations import CASES, assert_honest, assert_inflated, read


@pytest.mark.parametrize("format", list(CASES))
def test_an_honest_edit_sent_as_text_is_accepted(client: TestClient, format: str) -> None:
    before, honest, _ = CASES[format]

    response = client.post("/v1/check-edit", json={"before": read(before), "after": read(honest)})

    assert response.status_code == 200, response.text
    assert response.json()["format"] == format
    assert_honest(response.json())


@pytest.mark.parametrize("format", list(CASES))
def test_an_inflating_edit_sent_as_text_is_rejected_with_kinds_and_lines(client: TestClient, format: str) -> None:
    before, _, inflated = CASES[format]

    response = client.post("/v1/check-edit", json={"before": read(before), "after": read(inflated), "format": format})

    assert response.status_code == 200, response.text
    assert_inflated(response.json(), inflated)


def test_json_resume_objects_are_checked_without_lines(client: TestClient) -> None:
    before, _, inflated = CASES["json-resume"]

    response = client.post(
        "/v1/check-edit", json={"before": json.loads(read(before)), "after": json.loads(read(inflated))}
    )

    assert response.status_code == 200, response.text
    assert_inflated(response.json(), inflated, with_lines=False)
    assert {b["line"] for e in response.json()["entries"] for b in e["bullets"]} == {None}


def test_notes_evidence_and_redaction_apply_to_changed_bullets(client: TestClient) -> None:
    body = {
        "before": {"work": [{"name": "Acme", "highlights": ["Sped up search."]}]},
        "after": {"work": [{"name": "Acme", "highlights": ["Sped up search with a Redis cache for Initech."]}]},
        "notes": "search was slow for Initech",
        "evidence": [{"id": "PR-88", "text": "Add a Redis cache to search"}],
        "redact": ["Initech"],
    }

    response = client.post("/v1/check-edit", json=body)

    violations = response.json()["entries"][0]["bullets"][0]["violations"]
    assert [v["kind"] for v in violations] == ["redacted"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param(
            {"before": "## Acme\n- Built it.\n", "after": {"work": 1}},
            "after",
            "not a valid JSON Resume: work: must be a list, not a number",
            id="object-not-a-resume",
        ),
        pytest.param(
            {"before": "cv:\n  sections: [", "after": "cv: {}\n"},
            "before",
            "not a valid RenderCV file: not valid YAML",
            id="yaml-syntax",
        ),
        pytest.param(
            {"before": '{"work": []}', "after": "## Acme\n- Built it.\n"},
            "after",
            "different formats (json-resume before, markdown after)",
            id="formats-differ",
        ),
        pytest.param(
            {"before": {"work": []}, "after": {"work": []}, "format": "markdown"},
            "before",
            "an object is a JSON Resume; send a markdown resume as text",
            id="object-with-another-format",
        ),
    ],
)
def test_a_version_that_is_not_a_valid_resume_is_a_422_naming_it(
    client: TestClient, body: dict[str, object], field: str, message: str
) -> None:
    response = client.post("/v1/check-edit", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert errors[0]["loc"] == ["body", field]
    assert message in errors[0]["msg"]
    assert errors[0]["type"] == "invalid_resume"


def test_the_verify_limits_apply(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_notes_chars=10, max_redact_terms=1)

    response = client.post("/v1/check-edit", json={"before": {}, "after": {}, "notes": "x" * 11, "redact": ["a", "b"]})

    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {("body", "notes"), ("body", "redact")}


def test_the_openapi_document_shows_the_route_with_examples_that_work(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/check-edit"]["post"]

    request_examples = operation["requestBody"]["content"]["application/json"]["examples"]
    response_examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert set(request_examples) == set(CHECK_EDIT_EXAMPLES)
    assert "422" in operation["responses"]
    for name, example in CHECK_EDIT_EXAMPLES.items():
        answer = client.post("/v1/check-edit", json=example["value"])
        assert answer.status_code == 200, (name, answer.text)
    documented = client.post("/v1/check-edit", json=CHECK_EDIT_EXAMPLES["json-resume"]["value"]).json()
    assert set(response_examples) == set(RESPONSE_EXAMPLES)
    assert documented == RESPONSE_EXAMPLES["rejected"]["value"]  # (the OpenAPI document drops its nulls)
    markdown = client.post("/v1/check-edit", json=CHECK_EDIT_EXAMPLES["markdown"]["value"]).json()
    assert markdown["verdict"] == "accepted"  # the notes name Go
