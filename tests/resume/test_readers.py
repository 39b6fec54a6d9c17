"""The readers: each format's entries and bullets, each bullet with its line; a text that is not a valid
resume of its format is a ResumeError that says where and what is wrong (and never quotes the resume)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.resume import Entry, ResumeError, detect_format, format_for_name, parse_resume, plain, resume_from_object

FIXTURES = Path(__file__).parent / "fixtures"


def _lines(text: str, needle: str) -> int:
    """The 1-based line of ``text`` holding ``needle`` (the ground truth for the readers' line numbers)."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def _by_name(entries: tuple[Entry, ...]) -> dict[str, Entry]:
    return {entry.name: entry for entry in entries}


def test_json_resume_reads_work_volunteer_and_projects_with_lines() -> None:
    text = (FIXTURES / "resume.json").read_text(encoding="utf-8")
    resume = parse_resume(text, "json-resume")

    entries = _by_name(resume.entries)
    assert list(entries) == [
        "Northwind Logistics — Backend Engineer",
        "Contoso — Software Engineer",
        "CoderDojo — Mentor",
        "queue-inspector — Author",
    ]
    assert [e.section for e in resume.entries] == ["work", "work", "volunteer", "projects"]
    northwind = entries["Northwind Logistics — Backend Engineer"]
    assert northwind.context == "Notification and webhook services."
    for bullet in northwind.bullets:
        assert bullet.line == _lines(text, bullet.text)
    assert northwind.line == _lines(text, '"name": "Northwind Logistics"') - 1  # the object's opening brace
    assert entries["queue-inspector — Author"].context == "A command-line tool that lists stuck jobs in a Redis queue."


def test_json_resume_before_v1_names_a_job_by_company() -> None:
    resume = resume_from_object({"work": [{"company": "Acme", "position": "SRE", "highlights": ["Wrote runbooks."]}]})

    assert resume.entries[0].name == "Acme — SRE"
    assert resume.entries[0].bullets[0].line is None  # an object has no text, so no lines


def test_rendercv_reads_entries_with_highlights_and_text_sections_with_lines() -> None:
    text = (FIXTURES / "Sam_Rivera_CV.yaml").read_text(encoding="utf-8")
    resume = parse_resume(text, "rendercv")

    entries = _by_name(resume.entries)
    assert list(entries) == [
        "summary",
        "Northwind Logistics — Backend Engineer",
        "Contoso — Software Engineer",
        "University of Porto — BS Computer Science",
        "queue-inspector",
    ]
    contoso = entries["Contoso — Software Engineer"]
    # RenderCV's inline Markdown is read as the text it shows
    assert [b.text for b in contoso.bullets] == [
        "Moved the session store from Redis to PostgreSQL.",
        "Added an index on user_id to the sessions table.",
    ]
    assert [b.line for b in contoso.bullets] == [_lines(text, "Moved the session"), _lines(text, "Added an index")]
    assert entries["summary"].bullets[0].text == "Backend engineer working on payments and notifications."
    assert entries["queue-inspector"].context == "A command-line tool that lists stuck jobs in a Redis queue."


MARKDOWN = """\
---
title: Sam Rivera
---
# Sam Rivera

Backend engineer.

## Experience

### Northwind Logistics — Backend Engineer

Notification and webhook services.

- Helped debug a memory leak in the
  notification worker.
* Added retries with **backoff** to the [webhook sender](https://example.com/pr/1).
  1. Wrote the runbook for restarting the worker.

```text
- not a bullet: code
```

Contoso
-------

- Moved the session store to `PostgreSQL`.
"""


def test_markdown_reads_headings_as_entries_and_list_items_as_bullets() -> None:
    resume = parse_resume(MARKDOWN)

    assert resume.format == "markdown"
    assert [(e.section, e.name) for e in resume.entries] == [
        ("Experience", "Northwind Logistics — Backend Engineer"),
        ("Sam Rivera", "Contoso"),
    ]
    northwind, contoso = resume.entries
    assert [(b.text, b.line) for b in northwind.bullets] == [
        ("Helped debug a memory leak in the notification worker.", 14),
        ("Added retries with backoff to the webhook sender.", 16),
        ("Wrote the runbook for restarting the worker.", 17),
    ]
    assert northwind.context == "Notification and webhook services."
    assert [(b.text, b.line) for b in contoso.bullets] == [("Moved the session store to PostgreSQL.", 26)]


@pytest.mark.parametrize(
    ("text", "format", "message"),
    [
        pytest.param("{", "json-resume", "not a valid JSON Resume: not valid JSON: Expecting", id="json-syntax"),
        pytest.param("[1, 2]", "json-resume", "a JSON Resume is a JSON object, not a list", id="json-not-object"),
        pytest.param(
            '{"jobs": []}',
            "json-resume",
            "jobs: not a JSON Resume section (the schema allows only",
            id="json-unknown-key",
        ),
        pytest.param('{"work": {}}', "json-resume", "work: must be a list, not an object", id="json-section-type"),
        pytest.param('{"work": ["Acme"]}', "json-resume", "work[0]: must be an object, not a string", id="json-entry"),
        pytest.param(
            '{"work": [{"name": "A", "highlights": "Built it"}]}',
            "json-resume",
            "work[0].highlights: must be a list of strings, not a string",
            id="json-highlights-text",
        ),
        pytest.param(
            '{"projects": [{"name": "A", "highlights": ["ok", 3]}]}',
            "json-resume",
            "projects[0].highlights[1]: must be a string, not a number",
            id="json-highlight-number",
        ),
        pytest.param("cv: [", "rendercv", "not a valid RenderCV file: not valid YAML:", id="yaml-syntax"),
        pytest.param("name: Sam\n", "rendercv", "a RenderCV file is a mapping with a `cv` mapping", id="yaml-no-cv"),
        pytest.param(
            "cv:\n  sections:\n    experience:\n      - company: Acme\n        highlights: [Built it]\n",
            "rendercv",
            "cv.sections.experience[0] (line 4): the entry has no `position`, which its type requires",
            id="yaml-missing-position",
        ),
        pytest.param(
            "cv:\n  sections:\n    experience:\n      - company: Acme\n"
            "        position: SRE\n        highlights: Built it\n",
            "rendercv",
            "cv.sections.experience[0].highlights (line 6): must be a list of texts, not a string",
            id="yaml-highlights-text",
        ),
        pytest.param(
            "cv:\n  sections:\n    experience:\n      - color: blue\n",
            "rendercv",
            "cv.sections.experience[0] (line 4): the entry matches no RenderCV entry type",
            id="yaml-unknown-entry",
        ),
        pytest.param(
            "cv:\n  sections:\n    mixed:\n      - name: A\n      - bullet: B\n",
            "rendercv",
            "a BulletEntry in a section of NormalEntry items",
            id="yaml-mixed-types",
        ),
        pytest.param(
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{k}: &{k} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                for p, k in zip("abcdef", "bcdefg", strict=True)
            )
            + "cv: {sections: {s: *g}}\n",
            "rendercv",
            "aliases expand too far",
            id="yaml-alias-bomb",
        ),
        pytest.param("# Sam\n\nJust prose.\n", "markdown", "no list item found", id="markdown-no-bullets"),
    ],
)
def test_an_invalid_resume_says_where_and_what_is_wrong(text: str, format: str, message: str) -> None:
    with pytest.raises(ResumeError) as raised:
        parse_resume(text, format)  # type: ignore[arg-type]

    assert message in str(raised.value)


def test_an_error_never_quotes_the_resume() -> None:
    secret = "Project Bluebird for Initech"
    with pytest.raises(ResumeError) as raised:
        parse_resume(json.dumps({"work": [{"name": secret, "highlights": [secret, 7]}]}), "json-resume")

    assert secret not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("resume.json", "json-resume"),
        ("John_Doe_CV.yaml", "rendercv"),
        ("cv.YML", "rendercv"),
        ("resume.md", "markdown"),
        ("resume.markdown", "markdown"),
        ("resume.txt", None),
        ("README", None),
    ],
)
def test_the_extension_tells_the_format(name: str, expected: str | None) -> None:
    assert format_for_name(name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('\ufeff {"work": []}', "json-resume"),
        ("# yaml-language-server\ncv:\n  name: Sam\n", "rendercv"),
        ("## Acme\n- Built it\n", "markdown"),
    ],
)
def test_a_text_without_a_name_tells_its_format(text: str, expected: str) -> None:
    assert detect_format(text) == expected


def test_plain_reads_inline_markdown_as_the_text_it_shows() -> None:
    assert plain("Built **[Kafka](https://kafka.example.com)** `consumer` ~~fast~~  ![logo](x.png)") == (
        "Built Kafka consumer fast logo"
    )
