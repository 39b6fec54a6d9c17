"""Rendering reports: Block Kit within Slack's limits for long inputs, escaping, and Mattermost's post size."""

from __future__ import annotations

import re

import pytest

from service.chatops import _mattermost, _slack
from service.chatops._report import Finding, Refused, Report, report_from_rewrite, report_from_verify
from service.contract.models import VerifyRequest
from service.contract.verification import run_verify
from service.guard import Violation
from service.rewrite.pipeline import Bullet, RejectedBullet, RewriteResult, Usage
from tests.chatops.chatkit import SLACK_MAX_BLOCKS, assert_block_kit_limits, mrkdwn_texts

MATTERMOST_MAX_POST = 16_383


def report(
    n_accepted: int, n_refused: int, *, text_len: int = 200, findings: int = 3, message_len: int = 100
) -> Report:
    return Report(
        title="Guarded bullets",
        accepted=tuple(f"A{i} " + "x" * text_len for i in range(n_accepted)),
        refused=tuple(
            Refused(
                f"R{i} " + "y" * text_len,
                tuple(Finding("metric", f"{j}0%", f"M{j} " + "z" * message_len) for j in range(findings)),
            )
            for i in range(n_refused)
        ),
        summary=f"{n_accepted} accepted · {n_refused} refused",
    )


def shown(texts: list[str], prefix: str) -> int:
    return sum(len(re.findall(rf"\b{prefix}\d+ ", text)) for text in texts[1:])  # [0] is the fallback


def more_count(texts: list[str], what: str) -> int:
    found = [int(m.group(1)) for text in texts for m in re.finditer(rf"… and (\d+) more {what}", text)]
    return sum(found)


@pytest.mark.parametrize(
    ("n_accepted", "n_refused"),
    [(0, 0), (3, 1), (60, 0), (0, 60), (200, 200), (5, 300), (300, 5)],
)
def test_block_kit_limits_hold_and_nothing_is_dropped_silently(n_accepted: int, n_refused: int) -> None:
    payload = _slack.render_report(report(n_accepted, n_refused))

    assert_block_kit_limits(payload)
    texts = mrkdwn_texts(payload)
    assert shown(texts, "A") + more_count(texts, "accepted bullets") == n_accepted
    assert shown(texts, "R") + more_count(texts, "refused bullets") == n_refused
    if n_accepted + n_refused > SLACK_MAX_BLOCKS:
        assert len(payload["blocks"]) >= SLACK_MAX_BLOCKS - 8  # truncation uses the room it has


def test_refused_bullets_keep_room_when_accepted_ones_are_many() -> None:
    texts = mrkdwn_texts(_slack.render_report(report(300, 5)))

    assert shown(texts, "R") == 5


def test_long_bullets_and_violations_stay_within_a_section() -> None:
    long_report = report(2, 4, text_len=10_000, findings=40, message_len=5_000)

    payload = _slack.render_report(long_report)

    assert_block_kit_limits(payload)
    refused_sections = [t for t in mrkdwn_texts(payload) if t.startswith("• R")]
    assert len(refused_sections) == 4
    for section in refused_sections:  # every finding is shown or counted in the "more" line
        n_shown = len(re.findall(r"↳ metric `\d+0%`", section))
        (n_more,) = (int(n) for n in re.findall(r"↳ … and (\d+) more", section))
        assert n_shown >= 1 and n_shown + n_more == 40


def test_escaping_cannot_push_a_section_over_the_limit_or_split_an_entity() -> None:
    payload = _slack.render_report(Report("t", ("&" * 5000, "<" * 5000), (), "s"))

    assert_block_kit_limits(payload)
    for text in mrkdwn_texts(payload):
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), "a raw or cut entity"


def test_user_text_cannot_mention_link_or_inject_markup() -> None:
    hostile = "Fixed <!channel> & <@U123|boss> see <https://evil.example|docs>"
    payload = _slack.render_report(
        Report("t", (hostile,), (Refused(hostile, (Finding("tool", "<!here>", "a <b>"),)),), "<s>")
    )

    for text in mrkdwn_texts(payload):
        assert "<" not in text and ">" not in text
    assert "Fixed &lt;!channel&gt; &amp; &lt;@U123|boss&gt;" in payload["blocks"][2]["text"]["text"]


def test_header_is_plain_text_within_150() -> None:
    payload = _slack.render_report(Report("T" * 400, ("a",), (), "s"))

    assert_block_kit_limits(payload)


def test_unescape_undoes_slacks_escaping() -> None:
    assert _slack.unescape("R&amp;D &lt;prod&gt; &amp;lt;") == "R&D <prod> &lt;"


# --- reports from real results ----------------------------------------------------------------------


def _result(
    bullets: tuple[Bullet, ...], rejected: tuple[RejectedBullet, ...], errors: tuple[str, ...] = ()
) -> RewriteResult:
    return RewriteResult(bullets, rejected, 2, "m", "v1", Usage(), 1, errors)


def test_report_from_rewrite_lists_accepted_then_refused_with_findings() -> None:
    violation = Violation("metric", "70%", 6, 9, "'70%' is a percentage the input does not state.", "remove it")
    result = _result(
        (Bullet("Helped debug a leak.", ("notes",), "reliability"),),
        (RejectedBullet("Led a 70% cut.", ("notes",), "performance", (violation,)),),
    )

    got = report_from_rewrite(result)

    assert got.accepted == ("Helped debug a leak.",)
    assert got.refused == (Refused("Led a 70% cut.", (Finding("metric", "70%", violation.message),)),)
    assert got.empty_note is None
    assert got.summary == "1 accepted · 1 refused · model m · prompt v1 · 2 attempts"


@pytest.mark.parametrize(
    ("rejected", "errors", "expected"),
    [
        ((), ("not valid JSON",), "could not be used"),
        ((RejectedBullet("Led it.", (), "ownership", ()),), (), "No bullet survived the guard"),
    ],
)
def test_an_empty_result_says_why(rejected: tuple[RejectedBullet, ...], errors: tuple[str, ...], expected: str) -> None:
    got = report_from_rewrite(_result((), rejected, errors))

    assert got.empty_note is not None and expected in got.empty_note
    payload = _slack.render_report(got)
    assert expected in "\n".join(mrkdwn_texts(payload))
    assert expected in _mattermost.render_report(got)["text"]


def test_report_from_verify() -> None:
    response = run_verify(
        VerifyRequest(
            notes="helped debug a memory leak",
            bullets=["Helped debug a memory leak.", "Led a 70% cut in memory use."],
        )
    )

    got = report_from_verify(response)

    assert got.accepted == ("Helped debug a memory leak.",)
    assert [r.text for r in got.refused] == ["Led a 70% cut in memory use."]
    assert {f.kind for f in got.refused[0].findings} >= {"ownership", "metric"}


def test_replies_to_verify_show_the_repairs() -> None:
    response = run_verify(
        VerifyRequest(
            notes="helped debug a memory leak in the notification worker",
            bullets=["Led the debugging of a memory leak in the notification worker using Kafka."],
        )
    )

    got = report_from_verify(response)

    (refused,) = got.refused
    assert refused.suggestion == "Helped debug a memory leak in the notification worker."
    assert "suggestion: Helped debug a memory leak" in "\n".join(mrkdwn_texts(_slack.render_report(got)))
    assert "suggestion: Helped debug a memory leak" in _mattermost.render_report(got)["text"]


# --- Mattermost ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n_accepted", "n_refused"), [(3, 1), (500, 0), (0, 500), (200, 200)])
def test_mattermost_posts_stay_within_the_size_limit(n_accepted: int, n_refused: int) -> None:
    text = _mattermost.render_report(report(n_accepted, n_refused, text_len=1000, findings=5, message_len=300))["text"]

    assert len(text) <= MATTERMOST_MAX_POST
    shown_a = len(re.findall(r"^- A\d+ ", text, re.MULTILINE))
    shown_r = len(re.findall(r"^- R\d+ ", text, re.MULTILINE))
    more = [int(m) for m in re.findall(r"… and (\d+) more bullets", text)]
    assert shown_a + shown_r + sum(more) == n_accepted + n_refused
    assert text.rstrip().endswith(f"_{n_accepted} accepted · {n_refused} refused_")


def test_mattermost_escapes_markdown() -> None:
    hostile = "**Led** [all](https://evil.example) `x` <b> #1 _y_ ~z~ | @channel"

    text = _mattermost.render_report(Report("t", (hostile,), (), "s"))["text"]

    # "@" + a zero-width space: shown as written, mentions no one
    assert r"- \*\*Led\*\* \[all\]\(https://evil.example\) \`x\` \<b\> \#1 \_y\_ \~z\~ \| @" + "\u200bchannel" in text
