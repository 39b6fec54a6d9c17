"""The proof-coaching CLI: ``bulletguard lint``, ``questions`` and ``match`` — output, ``--json`` equal to
the API, exit codes — and the warnings ``verify`` now prints."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service import cli
from service.settings import get_settings

NOTES = "moved the session store to postgres; added an index on user_id; on call for the auth service"
POSTING = "Backend engineer: PostgreSQL, Kafka, Kubernetes. You will join the on-call rotation and build microservices."
WEAK = "Worked on microservices and built REST APIs."
STRONG = "Built 3 REST endpoints for the billing service consumed by the mobile app."


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- lint ------------------------------------------------------------------------------------------------


def test_lint_marks_weak_spans_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bullets = write(tmp_path, "b.txt", f"- {WEAK}\n\n* {STRONG}\n")

    code = cli.main(["lint", str(bullets)])

    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    weak_line = next(line for line in lines if line.startswith("[1]"))
    assert weak_line.startswith("[1] WEAK") and weak_line.endswith(WEAK)
    carets = lines[lines.index(weak_line) + 1]
    offset = weak_line.index(WEAK)
    marked = {i - offset for i, char in enumerate(carets) if char == "^"}
    assert marked == {*range(0, 9), *range(10, 23), *range(34, 43)}  # Worked on, microservices, REST APIs
    for code_name in ("vague-verb", "unnamed-services", "generic-api"):
        assert any(line.strip().startswith(f"{code_name}:") for line in lines), code_name
    assert out.count("fix: ") == 3
    assert f"[2] OK       {STRONG}" in out
    assert "2 bullet(s): 1 weak, 3 warning(s)" in out


def test_lint_exits_0_without_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bullets = write(tmp_path, "b.txt", STRONG)
    assert cli.main(["lint", str(bullets)]) == 0
    out = capsys.readouterr().out
    assert "^" not in out and "1 bullet(s): 0 weak, 0 warning(s)" in out


def test_lint_json_matches_verify_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], client: TestClient
) -> None:
    bullets = write(tmp_path, "b.txt", f"{WEAK}\n{STRONG}\n")

    code = cli.main(["lint", "--json", str(bullets)])

    printed = json.loads(capsys.readouterr().out)
    api = client.post("/v1/verify", json={"notes": "anything", "bullets": [WEAK, STRONG]}).json()
    assert code == 1
    assert printed == {"results": [{"bullet": r["bullet"], "warnings": r["warnings"]} for r in api["results"]]}


def test_lint_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("• Built highly scalable systems.\n"))
    assert cli.main(["lint", "-"]) == 1
    assert "unquantified-scale: 'highly scalable'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("\n  \n", "no bullets"),
        ("x" * 1001, "bullets.0: Must have at most 1000 characters"),
    ],
)
def test_lint_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "b.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert cli.main(["lint", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("bulletguard lint: ") and message in captured.err


def test_lint_applies_the_bullet_count_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETGUARD_MAX_BULLETS", "1")
    bullets = write(tmp_path, "b.txt", f"{WEAK}\n{STRONG}\n")
    assert cli.main(["lint", str(bullets)]) == 2
    assert "bullets: Must have at most 1 items" in capsys.readouterr().err


# --- questions -------------------------------------------------------------------------------------------


def test_questions_prints_area_question_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = write(tmp_path, "notes.txt", NOTES)

    code = cli.main(["questions", "--notes", str(notes)])

    out = capsys.readouterr().out
    assert code == 0
    assert "[1] reliability: What alert, dashboard, trace or runbook came out of it?" in out
    assert "security: Which auth method was it (OAuth, JWT, mTLS, API keys, sessions)?" in out
    assert "Which database" not in out
    assert out.count("why: ") == out.count("\n[") + 1


def test_questions_json_equals_the_api(tmp_path: Path, capsys: pytest.CaptureFixture[str], client: TestClient) -> None:
    evidence = [{"id": "PR-1", "text": "add OAuth login to the auth service"}]
    notes = write(tmp_path, "notes.txt", NOTES)
    evidence_file = write(tmp_path, "e.json", json.dumps(evidence))

    code = cli.main(["questions", "--json", "--notes", str(notes), "--evidence", str(evidence_file)])

    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert printed == client.post("/v1/questions", json={"notes": NOTES, "evidence": evidence}).json()
    assert "Which auth method was it (OAuth, JWT, mTLS, API keys, sessions)?" not in json.dumps(printed)


def test_questions_says_so_when_nothing_is_open(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = write(tmp_path, "notes.txt", "a quiet quarter")
    assert cli.main(["questions", "--notes", str(notes)]) == 0
    assert capsys.readouterr().out.startswith("No open questions")


@pytest.mark.parametrize(
    ("notes_text", "evidence_text", "message"),
    [
        ("   ", None, "notes: Value error, must not be empty"),
        (NOTES, "{not json", "not valid JSON"),
        (NOTES, '[{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]', "evidence.1.id"),
        (NOTES, '{"id": "a"}', "must hold a JSON list"),
    ],
)
def test_questions_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], notes_text: str, evidence_text: str | None, message: str
) -> None:
    args = ["questions", "--notes", str(write(tmp_path, "n.txt", notes_text))]
    if evidence_text is not None:
        args += ["--evidence", str(write(tmp_path, "e.json", evidence_text))]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("bulletguard questions: ") and message in err


# --- match -----------------------------------------------------------------------------------------------


def test_match_prints_supported_and_gaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = write(tmp_path, "notes.txt", NOTES)
    job = write(tmp_path, "job.txt", POSTING)

    code = cli.main(["match", "--notes", str(notes), "--job", str(job)])

    out = capsys.readouterr().out
    assert code == 0
    supported, gaps = out.split("Gaps:")
    assert "+ PostgreSQL (technology; notes say 'postgres')" in supported
    assert "+ on-call rotation (keyword; notes say 'on call')" in supported
    assert [line.strip() for line in gaps.splitlines() if line.strip().startswith("-")] == [
        "- Kafka (technology)",
        "- Kubernetes (technology)",
        "- microservices (keyword)",
    ]


def test_match_json_equals_the_api(tmp_path: Path, capsys: pytest.CaptureFixture[str], client: TestClient) -> None:
    notes = write(tmp_path, "notes.txt", NOTES)
    job = write(tmp_path, "job.txt", POSTING)

    assert cli.main(["match", "--json", "--notes", str(notes), "--job", str(job)]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed == client.post("/v1/match", json={"notes": NOTES, "job_description": POSTING}).json()


def test_match_with_nothing_in_common(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = write(tmp_path, "notes.txt", "fixed the export job")
    job = write(tmp_path, "job.txt", "Kafka")
    assert cli.main(["match", "--notes", str(notes), "--job", str(job)]) == 0
    supported, gaps = capsys.readouterr().out.split("Gaps:")
    assert "(none)" in supported and "- Kafka (technology)" in gaps


def test_match_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = write(tmp_path, "notes.txt", NOTES)
    assert cli.main(["match", "--notes", str(notes), "--job", str(tmp_path / "missing.txt")]) == 2
    assert "job posting file not found" in capsys.readouterr().err

    monkeypatch.setenv("BULLETGUARD_MAX_NOTES_CHARS", str(len(NOTES)))
    get_settings.cache_clear()
    job = write(tmp_path, "job.txt", "k" * (len(NOTES) + 1))
    assert cli.main(["match", "--notes", str(notes), "--job", str(job)]) == 2
    assert "job_description: Must have at most" in capsys.readouterr().err


def test_match_requires_a_posting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = write(tmp_path, "notes.txt", NOTES)
    with pytest.raises(SystemExit) as exc:
        cli.main(["match", "--notes", str(notes)])
    assert exc.value.code == 2
    assert "--job" in capsys.readouterr().err


# --- verify shows warnings, its exit code ignores them -------------------------------------------------------


def test_verify_prints_warnings_but_exits_on_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = write(tmp_path, "notes.txt", "worked on microservices; built REST APIs")
    bullets = write(tmp_path, "b.txt", WEAK)

    code = cli.main(["verify", "--notes", str(notes), str(bullets)])

    out = capsys.readouterr().out
    assert code == 0
    assert f"[1] ACCEPTED {WEAK}" in out
    assert "warning vague-verb: 'Worked on'" in out
    assert "warning generic-api: 'REST APIs'" in out
    assert "^" not in out  # carets mark violations only
