"""``bulletguard check-edit`` and ``bulletguard verify --resume``: resume files on the command line,
``--staged`` against git, GitHub annotations; exit 0 / 1 / 2."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from service.cli import main
from tests.resume.expectations import CASES, FIXTURES, INFLATED, assert_honest, assert_inflated, line_of


@pytest.mark.parametrize("format", list(CASES))
def test_check_edit_passes_an_honest_edit(format: str, capsys: pytest.CaptureFixture[str]) -> None:
    before, honest, _ = CASES[format]

    code = main(["check-edit", str(FIXTURES / before), str(FIXTURES / honest), "--json"])

    assert code == 0
    assert_honest(json.loads(capsys.readouterr().out))


@pytest.mark.parametrize("format", list(CASES))
def test_check_edit_fails_an_inflating_edit(format: str, capsys: pytest.CaptureFixture[str]) -> None:
    before, _, inflated = CASES[format]

    code = main(["check-edit", str(FIXTURES / before), str(FIXTURES / inflated), "--json"])

    assert code == 1
    assert_inflated(json.loads(capsys.readouterr().out), inflated)


def test_the_report_shows_each_changed_bullet_with_its_line_and_spans(capsys: pytest.CaptureFixture[str]) -> None:
    before, _, inflated = CASES["json-resume"]

    main(["check-edit", str(FIXTURES / before), str(FIXTURES / inflated)])

    out = capsys.readouterr().out
    lines = out.splitlines()
    at = next(i for i, text in enumerate(lines) if "REJECTED Led the debugging" in text)
    assert lines[at].split()[:2] == ["line", str(line_of(inflated, "Led the debugging"))]
    assert lines[at + 1] == " " * lines[at].index("Led the debugging") + "^^^"
    assert "ownership: 'Led' - 'Led' claims led-level ownership" in out
    assert "Taught Python" not in out  # unchanged bullets are counted, not listed
    assert out.rstrip().endswith("4 changed bullet(s): 0 accepted, 4 rejected; 3 unchanged")


def test_github_annotations_put_each_violation_on_its_file_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    before, _, inflated = CASES["rendercv"]
    after = str(FIXTURES / inflated)

    code = main(["check-edit", str(FIXTURES / before), after, "--annotations", "github"])

    assert code == 1
    errors = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::error ")]
    # one annotation per violation, on the line of each inflated bullet and on no other line
    assert {e.split(",line=")[1].split(",")[0] for e in errors} == {
        str(line_of(inflated, phrase)) for phrase, _ in INFLATED
    }
    for phrase, kinds in INFLATED:
        line = line_of(inflated, phrase)
        mine = [e for e in errors if f"file={after},line={line}," in e]
        assert mine, (phrase, errors)
        assert {e.split("title=bulletguard%3A ")[1].split("::")[0] for e in mine} >= kinds
    assert "'40%25' is a percentage" in "\n".join(errors)  # workflow-command escaping


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(["missing.json", "also-missing.json"], "resume file not found: missing.json", id="missing-file"),
        pytest.param(["a.txt", "b.txt"], "b.txt: cannot tell the resume format", id="unknown-extension"),
        pytest.param(["only-one.json"], "give BEFORE and AFTER", id="one-file"),
    ],
)
def test_bad_input_exits_2_with_the_reason(
    files: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("- Built it.\n", encoding="utf-8")

    code = main(["check-edit", *files])

    assert code == 2
    assert message in capsys.readouterr().err


def test_a_file_that_is_not_a_valid_resume_exits_2_naming_the_file_and_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "resume.json"
    bad.write_text('{"work": [{"name": "Acme", "highlights": "Built it"}]}', encoding="utf-8")

    code = main(["check-edit", str(FIXTURES / "resume.json"), str(bad)])

    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}: not a valid JSON Resume: work[0].highlights: must be a list of strings, not a string" in err
    assert "Traceback" not in err


def test_format_overrides_the_extension(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before, after = tmp_path / "before.txt", tmp_path / "after.txt"
    before.write_text("## Acme\n- Built the billing service.\n", encoding="utf-8")
    after.write_text("## Acme\n- Built the billing service in Rust.\n", encoding="utf-8")

    code = main(["check-edit", str(before), str(after), "--format", "markdown", "--json"])

    assert code == 1
    assert json.loads(capsys.readouterr().out)["entries"][0]["bullets"][0]["violations"][0]["kind"] == "tool"


def test_notes_files_support_a_changed_bullet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("the billing service is written in Rust\n", encoding="utf-8")
    before, after = tmp_path / "before.md", tmp_path / "after.md"
    before.write_text("## Acme\n- Built the billing service.\n", encoding="utf-8")
    after.write_text("## Acme\n- Built the billing service in Rust.\n", encoding="utf-8")

    assert main(["check-edit", str(before), str(after), "--notes", str(notes)]) == 0


def test_verify_resume_checks_every_bullet_against_the_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "brag.md"
    notes.write_text(
        "Northwind: helped debug a memory leak in the notification worker; added retries with backoff to the "
        "webhook sender; wrote the runbook for restarting the notification worker.\n",
        encoding="utf-8",
    )

    code = main(["verify", "--resume", str(FIXTURES / "resume.json"), "--notes", str(notes), "--json"])

    assert code == 1
    entries = json.loads(capsys.readouterr().out)["entries"]
    verdicts = {b["text"]: b["verdict"] for e in entries for b in e["bullets"]}
    assert verdicts["Helped debug a memory leak in the notification worker."] == "accepted"
    assert verdicts["Moved the session store from Redis to PostgreSQL."] == "rejected"  # not in the notes
    assert "unchanged" not in verdicts.values()


def test_verify_needs_bullets_or_a_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("built it", encoding="utf-8")

    assert main(["verify", "--notes", str(notes)]) == 2
    assert "give BULLETS_FILE (or --resume FILE)" in capsys.readouterr().err


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose HEAD has resume.json (the fixture), cwd for the test."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "sam@example.com")
    _git(tmp_path, "config", "user.name", "Sam")
    shutil.copy(FIXTURES / "resume.json", tmp_path / "resume.json")
    _git(tmp_path, "add", "resume.json")
    _git(tmp_path, "commit", "-q", "-m", "resume")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_staged_compares_the_index_with_head_not_the_working_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(FIXTURES / "resume.inflated.json", repo / "resume.json")
    _git(repo, "add", "resume.json")
    shutil.copy(FIXTURES / "resume.honest.json", repo / "resume.json")  # unstaged: not what is committed

    code = main(["check-edit", "--staged", "resume.json", "--json"])

    assert code == 1
    document = json.loads(capsys.readouterr().out)
    assert [f["path"] for f in document["files"]] == ["resume.json"]
    assert_inflated(document["files"][0], "resume.inflated.json")


def test_staged_skips_a_new_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "cv.md").write_text("## Acme\n- Led everything.\n", encoding="utf-8")
    _git(repo, "add", "cv.md")

    assert main(["check-edit", "--staged", "cv.md"]) == 0
    assert "cv.md: new file, nothing to compare it with" in capsys.readouterr().err
