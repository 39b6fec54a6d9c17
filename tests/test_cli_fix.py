"""``bulletguard verify --fix`` prints suggestions; ``--write`` puts them back into the bullets file."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import cli

NOTES = "helped the team migrate billing to postgres. i wrote the retry logic and the alerting in grafana."
BULLETS = (
    "- Led the migration of billing to PostgreSQL using Kafka, improving engagement by 45%.\n"
    "\n"
    "* i wrote the retry logic and the alerting in grafana\n"
    "- Designed a blockchain ledger\n"
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    bullets = tmp_path / "bullets.md"
    bullets.write_text(BULLETS, encoding="utf-8")
    return notes, bullets


def test_fix_prints_each_suggestion_with_its_diff(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    notes, bullets = files

    code = cli.main(["verify", "--fix", "--notes", str(notes), str(bullets)])

    out = capsys.readouterr().out
    assert code == 1
    assert "suggestion: Helped migrate billing to PostgreSQL." in out
    assert "diff: [-Led the migration of-] {+Helped migrate+} billing" in out
    assert "suggestion: Wrote the retry logic and the alerting in Grafana." in out  # accepted, polished
    assert "suggestion: none (no true version" in out  # the blockchain ledger: nothing true to keep
    assert bullets.read_text(encoding="utf-8") == BULLETS  # --fix alone writes nothing


def test_write_puts_the_suggestions_back_and_a_second_run_has_nothing_to_fix(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    notes, bullets = files

    code = cli.main(["verify", "--fix", "--write", "--notes", str(notes), str(bullets)])

    assert code == 1  # one rejected bullet has no suggestion and stays as it was
    assert bullets.read_text(encoding="utf-8") == (
        "- Helped migrate billing to PostgreSQL.\n"
        "\n"
        "* Wrote the retry logic and the alerting in Grafana.\n"
        "- Designed a blockchain ledger\n"
    )
    capsys.readouterr()
    cli.main(["verify", "--fix", "--notes", str(notes), str(bullets)])
    out = capsys.readouterr().out
    assert out.count("suggestion: none (already polished)") == 2


def test_write_needs_fix_and_a_file(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    notes, bullets = files
    assert cli.main(["verify", "--write", "--notes", str(notes), str(bullets)]) == 2
    assert "--write needs --fix" in capsys.readouterr().err
    assert bullets.read_text(encoding="utf-8") == BULLETS
