"""Checking an edit: entries paired with their earlier version, unchanged bullets not judged again,
changed ones judged against the entry's earlier text plus notes and evidence."""

from __future__ import annotations

import pytest

from service.contract.resume import ResumeCheckResponse
from service.guard import EvidenceItem
from service.resume import Entry, check_edit, check_resume, pair_entries, parse_resume, resume_from_object
from tests.resume.expectations import CASES, assert_honest, assert_inflated, read


@pytest.mark.parametrize("format", list(CASES))
def test_an_honest_edit_of_a_real_resume_passes(format: str) -> None:
    before, honest, _ = CASES[format]

    check = check_edit(parse_resume(read(before)), parse_resume(read(honest)))

    assert_honest(ResumeCheckResponse.from_check(check).model_dump(mode="json"))


@pytest.mark.parametrize("format", list(CASES))
def test_an_inflating_edit_of_a_real_resume_fails_with_the_kinds_and_lines(format: str) -> None:
    before, _, inflated = CASES[format]

    check = check_edit(parse_resume(read(before)), parse_resume(read(inflated)))

    assert check.rejected
    assert_inflated(ResumeCheckResponse.from_check(check).model_dump(mode="json"), inflated)


def _entry(organization: str, title: str = "", section: str = "work") -> Entry:
    return Entry(section, organization, title, "", (), None)


def test_entries_pair_by_name_then_organization_then_position() -> None:
    before = [_entry("Acme", "Engineer"), _entry("Initech", "SRE"), _entry("Globex", "Intern"), _entry("Umbrella")]
    after = [
        _entry("Globex", "Intern"),  # moved up: same name
        _entry("Acme", "Staff Engineer"),  # title changed: same organization
        _entry("Initech Corp", "SRE"),  # renamed: same place in the list... taken? no: position 2 is Globex's
        _entry("Umbrella Corp"),  # renamed, at Umbrella's place
        _entry("Hooli"),  # new
    ]

    pairs = pair_entries(before, after)

    assert [(b.organization if b else None, how) for b, how in pairs] == [
        ("Globex", "name"),
        ("Acme", "organization"),
        (None, "none"),  # position 2 was Globex, already paired
        ("Umbrella", "position"),
        (None, "none"),
    ]


def test_entries_in_another_section_pair_by_name() -> None:
    pairs = pair_entries([_entry("OSS", "Maintainer", "projects")], [_entry("OSS", "Maintainer", "volunteer")])

    assert pairs == [(_entry("OSS", "Maintainer", "projects"), "name")]


def test_an_unchanged_bullet_is_not_judged_again() -> None:
    # "Led" with no support: the guard would refuse it, but the resume already said it before the edit
    before = resume_from_object({"work": [{"name": "Acme", "highlights": ["Led the  migration to Kafka."]}]})
    after = resume_from_object(
        {"work": [{"name": "Acme", "highlights": ["led the migration to Kafka.", "Wrote docs."]}]}
    )

    check = check_edit(before, after)

    verdicts = [(b.bullet.text, b.verdict) for b in check.entries[0].bullets]
    assert verdicts == [("led the migration to Kafka.", "unchanged"), ("Wrote docs.", "accepted")]
    assert not check.rejected


def test_a_changed_bullet_may_claim_what_its_entry_said_before() -> None:
    before = resume_from_object(
        {
            "work": [
                {
                    "name": "Acme",
                    "summary": "Billing pipeline on Postgres.",
                    "highlights": ["Wrote the Kafka consumer for billing events."],
                }
            ]
        }
    )
    after = resume_from_object(
        {
            "work": [
                {"name": "Acme", "highlights": ["Wrote the Kafka consumer that loads billing events into Postgres."]}
            ]
        }
    )

    assert not check_edit(before, after).rejected


def test_a_bullet_moved_to_another_job_is_judged_against_that_job() -> None:
    before = resume_from_object(
        {"work": [{"name": "Acme", "highlights": ["Ran the Kafka cluster."]}, {"name": "Globex", "highlights": []}]}
    )
    after = resume_from_object(
        {"work": [{"name": "Acme", "highlights": []}, {"name": "Globex", "highlights": ["Ran the Kafka cluster."]}]}
    )

    check = check_edit(before, after)

    moved = check.entries[1].bullets[0]
    assert moved.verdict == "rejected"
    assert {v.kind for v in moved.violations} == {"tool"}


def test_notes_and_evidence_support_a_changed_bullet_and_redacted_terms_are_refused() -> None:
    before = resume_from_object({"work": [{"name": "Acme", "highlights": ["Sped up search."]}]})
    after = resume_from_object(
        {"work": [{"name": "Acme", "highlights": ["Sped up search with a Redis cache for Initech."]}]}
    )
    evidence = [EvidenceItem("PR-88", "Add a Redis cache to search")]

    without = check_edit(before, after)
    supported = check_edit(before, after, "search was slow for Initech", evidence, redact=["Initech"])

    assert {v.kind for v in without.entries[0].bullets[0].violations} == {"tool"}
    assert [v.kind for v in supported.entries[0].bullets[0].violations] == ["redacted"]


def test_check_resume_judges_every_bullet_against_the_notes() -> None:
    resume = resume_from_object({"work": [{"name": "Acme", "highlights": ["Helped debug a leak.", "Led the team."]}]})

    check = check_resume(resume, "helped debug a leak in the worker")

    assert [b.verdict for b in check.entries[0].bullets] == ["accepted", "rejected"]
    assert check.entries[0].before is None and check.entries[0].paired_by == "none"
