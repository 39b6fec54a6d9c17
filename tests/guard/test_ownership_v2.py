"""``ownership`` v2 (issue 12, family 5): team and partial credit, and role nouns.

Any team subject lowers a claim to the contributed rung for that work ("our team of 4 migrated…", "my
squad shipped…", "together with the platform team…"), and so does partial credit ("I did most of…"). A
bare verb in the bullet claims the writer did it. Asides and negations around a helper verb leave it a
helper verb. The other direction: role nouns state ownership ("I was the lead on the model work" supports
"Led the model work"; "8 people reporting to me" supports "Managed a team of 8").
"""

from __future__ import annotations

import pytest

from tests.guard.guardkit import explain, run

REJECT = [
    # team subjects of any shape
    pytest.param(
        "our team of 4 migrated billing to the new ledger",
        "Migrated billing to the new ledger.",
        "Migrated",
        id="our-team-of-four-migrated",
    ),
    pytest.param(
        "a team of five built the search indexer", "Built the search indexer.", "Built", id="a-team-of-five-built"
    ),
    pytest.param(
        "my squad shipped the onboarding flow", "Shipped the onboarding flow.", "Shipped", id="my-squad-shipped"
    ),
    pytest.param(
        "a team of three of us rewrote the invoice renderer",
        "Rewrote the invoice renderer.",
        "Rewrote",
        id="a-team-of-three-of-us-rewrote",
    ),
    pytest.param(
        "the platform team migrated billing; I wrote the cutover script",
        "Migrated billing.",
        "Migrated",
        id="a-named-team-did-the-work",
    ),
    pytest.param(
        "our team (4 of us) moved the exports to the new queue",
        "Moved the exports to the new queue.",
        "Moved",
        id="team-size-in-parentheses",
    ),
    pytest.param(
        "together with the platform team I migrated the build cache",
        "Migrated the build cache.",
        "Migrated",
        id="together-with-a-team",
    ),
    pytest.param(
        "along with Dana, I rebuilt the alerting rules",
        "Rebuilt the alerting rules.",
        "Rebuilt",
        id="along-with-a-person",
    ),
    pytest.param(
        "migrated the reporting jobs as part of a team of 4",
        "Migrated the reporting jobs.",
        "Migrated",
        id="co-agent-after-the-verb",
    ),
    pytest.param(
        "our team of 4 designed the schema, migrated billing and wrote the runbook",
        "Wrote the runbook.",
        "Wrote",
        id="the-subject-carries-across-a-coordinated-clause",
    ),
    pytest.param(
        "we, well mostly me, rebuilt the rate limiter",
        "Rebuilt the rate limiter.",
        "Rebuilt",
        id="an-aside-does-not-hide-the-subject",
    ),
    # partial credit
    pytest.param("I did most of the billing migration", "Migrated billing.", "Migrated", id="did-most-of"),
    pytest.param("wrote part of the parser", "Wrote the parser.", "Wrote", id="wrote-part-of"),
    pytest.param("partly migrated the cron jobs", "Migrated the cron jobs.", "Migrated", id="partly-migrated"),
    # asides and negations around a helper verb
    pytest.param(
        "I wasn't the organiser, but I helped organize the hackathon",
        "Organized the hackathon.",
        "Organized",
        id="negated-role-then-a-helper-verb",
    ),
    pytest.param("I was not the lead on the search revamp", "Led the search revamp.", "Led", id="negated-role-noun"),
    pytest.param(
        "the team shipped the mobile release, I reviewed the release notes",
        "Shipped the mobile release.",
        "Shipped",
        id="a-team-subject-before-an-own-clause",
    ),
]

ACCEPT = [
    # a team subject lowers its own clause; after a sentence break and an "I", a weaker verb in between
    # ("reviewed") does not carry it on to the next strong one
    pytest.param(
        "we moved auth to OAuth; I reviewed the token refresh code and wrote the integration tests for it.",
        "Reviewed the token refresh code and wrote its integration tests.",
        id="team-subject-ends-at-I-past-a-weak-verb",
    ),
    # "reviewed by the data team" in its own sentence is a role line about the review, not a title that
    # swallows the sentence before it
    pytest.param(
        "designed the schema for the audit log. reviewed by the data team.",
        "Designed the schema for the audit log.",
        id="reviewed-by-a-team-in-the-next-sentence",
    ),
    # the same contributed claim
    pytest.param(
        "our team of 4 migrated billing to the new ledger",
        "Helped migrate billing to the new ledger as part of a team of 4.",
        id="contributed-claim-of-team-work",
    ),
    pytest.param(
        "our team of 4 migrated the notifications service off the monolith",
        "Migrated the notifications service off the monolith as part of a team of 4.",
        id="bullet-states-the-team-too",
    ),
    pytest.param(
        "the platform team migrated billing; I wrote the cutover script",
        "Wrote the cutover script for the billing migration.",
        id="own-work-beside-team-work",
    ),
    pytest.param(
        "I wasn't the organiser, but I helped organize the hackathon",
        "Helped organize the hackathon.",
        id="helper-verb-kept",
    ),
    pytest.param("I did most of the billing migration", "Did most of the billing migration.", id="partial-kept"),
    pytest.param(
        "took over the search indexer from another team, cleaned up the alerts",
        "Took over the search indexer and cleaned up its alerts.",
        id="a-team-as-an-object-is-no-subject",
    ),
    pytest.param(
        "supported the launch of the api docs along with its changelog",
        "Supported the launch of the API docs.",
        id="along-with-a-thing-is-no-co-agent",
    ),
    # role nouns state ownership
    pytest.param("I was the lead on the model work", "Led the model work.", id="was-the-lead-on"),
    pytest.param("tech lead for payments", "Led payments.", id="tech-lead-for"),
    pytest.param("owner of the ingest service", "Owned the ingest service.", id="owner-of"),
    pytest.param("8 people reporting to me", "Managed a team of 8.", id="people-reporting-to-me"),
    pytest.param(
        "5 engineers reported to me on the data platform", "Managed 5 engineers.", id="engineers-reported-to-me"
    ),
    pytest.param(
        "I was the organizer of the internal hackathon", "Organized the internal hackathon.", id="was-the-organizer"
    ),
    # a bare verb is the writer's
    pytest.param("migrated billing to the new ledger", "Migrated billing to the new ledger.", id="bare-verb-both"),
]


@pytest.mark.parametrize(("notes", "bullet", "span"), REJECT)
def test_team_and_partial_credit_are_refused(notes: str, bullet: str, span: str) -> None:
    result = run(notes, bullet)
    owned = [v for v in result.violations if v.kind == "ownership"]
    assert owned, explain(result)
    assert owned[0].text == span, explain(result)
    for v in result.violations:
        assert v.text == bullet[v.start : v.end], explain(result)


@pytest.mark.parametrize(("notes", "bullet"), ACCEPT)
def test_truthful_team_and_role_claims_are_accepted(notes: str, bullet: str) -> None:
    result = run(notes, bullet)
    assert result.accepted, explain(result)
