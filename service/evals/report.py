"""The eval report: ``report.json`` (versioned, stable), ``report.md`` and a self-contained ``report.html``.

The HTML has no scripts and loads nothing: inline CSS and inline SVG charts only. Every string that
comes from a case, a model or a recording is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from service.evals._jsonfile import read_json, schema_problems
from service.evals.cases import Case
from service.evals.matching import input_facts
from service.evals.metrics import KINDS, Scored, case_metrics, group_metrics, run_outcome
from service.evals.records import RunRecord
from service.evals.runner import EvalConfig
from service.repair import edits_between

REPORT_FORMAT = "bulletguard-eval/1"
REPORT_SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
Report = dict[str, Any]


class ReportError(ValueError):
    """A file is not a usable eval report."""


def validate_report(data: Any, *, source: str = "report") -> Report:
    """``data`` if it is a ``bulletguard-eval/1`` report, else :class:`ReportError` naming the problem."""
    if not isinstance(data, dict):
        raise ReportError(f"{source}: not a JSON object")
    if data.get("format") != REPORT_FORMAT:
        raise ReportError(f"{source}: format is {data.get('format')!r}, expected {REPORT_FORMAT!r}")
    problems = schema_problems(REPORT_SCHEMA_PATH, data)
    if problems:
        raise ReportError(f"{source}: {problems[0]}")
    return data


def load_report(path: Path) -> Report:
    return validate_report(read_json(path, ReportError), source=str(path))


# --------------------------------------------------------------------------------------------------
# Building


def build_report(
    cases: Sequence[Case], records: Sequence[RunRecord], config: EvalConfig, *, meta: Mapping[str, Any] | None = None
) -> Report:
    """The report of one eval. ``meta`` holds what differs between identical runs (time, duration)."""
    by_id = {c.id: c for c in cases}
    scored: dict[tuple[str, str], list[Scored]] = {(p, m): [] for p in config.prompts for m in config.models}
    for record in records:
        scored.setdefault(record.group, []).append((record, run_outcome(by_id[record.case_id], record)))
    groups = [
        {"prompt": p, "model": m, "metrics": group_metrics(runs, repeat=config.repeat, k=config.k)}
        for (p, m), runs in scored.items()
    ]
    tag_groups = []  # the same metrics over the cases carrying a tag ("injection"), per prompt/model
    for tag in sorted({t for c in cases for t in c.tags}):
        tagged = {c.id for c in cases if tag in c.tags}
        for (p, m), runs in scored.items():
            mine = [(r, o) for r, o in runs if r.case_id in tagged]
            metrics = group_metrics(mine, repeat=config.repeat, k=config.k)
            tag_groups.append({"tag": tag, "prompt": p, "model": m, "metrics": metrics})
    case_entries = []
    for case in cases:
        results = []
        for (prompt, model), runs in scored.items():
            mine = [(r, o) for r, o in runs if r.case_id == case.id]
            results.append(
                {
                    "prompt": prompt,
                    "model": model,
                    "metrics": case_metrics(mine, k=config.k),
                    "runs": [{**r.as_dict(), "outcome": o.as_dict()} for r, o in mine],
                }
            )
        facts = [f.label for f in input_facts(case.notes, case.evidence)]
        case_entries.append({**case.as_dict(), "facts": facts, "results": results})
    return {
        "format": REPORT_FORMAT,
        "config": {**config.as_dict(), "cases": len(cases)},
        "meta": dict(meta or {}),
        "groups": groups,
        "tags": tag_groups,
        "cases": case_entries,
    }


def write_reports(report: Report, out_dir: Path) -> dict[str, Path]:
    """Write report.json, report.md and report.html into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    return paths


# --------------------------------------------------------------------------------------------------
# Formatting helpers


def percent(value: Any) -> str:
    return "–" if value is None else f"{100 * float(value):.0f}%"


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.{digits}f}"


def _cost(value: Any) -> str:
    return "n/a" if value is None else f"${float(value):.4f}"


def group_label(group: Mapping[str, Any]) -> str:
    return f"{group['prompt']} · {group['model']}"


def tag_label(group: Mapping[str, Any]) -> str:
    """A tag group's label: the tag, then its prompt and model."""
    return f"{group['tag']} · {group['prompt']} · {group['model']}"


def _tag_cells(m: Mapping[str, Any]) -> list[str]:
    return [str(m["cases"]), *_summary_cells(m), str(m["violations_by_kind"].get("source", 0))]


_CHARTS: tuple[tuple[str, str], ...] = (
    ("acceptance", "runs with ≥1 accepted bullet"),
    ("coverage", "input figures and technologies kept"),
    ("expectations", "runs meeting keep, forbid and min accepted"),
)


def _summary_cells(m: Mapping[str, Any]) -> list[str]:
    return [
        percent(m["acceptance"]),
        percent(m["coverage"]),
        percent(m["expectations"]),
        f"{percent(m['case_pass_rate'])} ({m.get('pass_k', 1)}-of-{m.get('repeat', 1)})",
        f"{m['bullets_accepted']} ({m['bullets_accepted_first_attempt']} + {m['bullets_accepted_after_reask']}"
        f" + {m.get('bullets_repaired', 0)})",
        str(m.get("bullets_fallback", 0)),
        percent(m["bullet_acceptance_rate"]),
        _num(m["violations_per_run"]),
        str(m["forbidden_slips"]),
        percent(m["schema_valid_rate"]),
        _num(m["attempts_per_run"]),
        f"{_num(m['latency_p50_s'])} / {_num(m['latency_p95_s'])}",
        f"{m['prompt_tokens']} + {m['completion_tokens']}",
        _cost(m["cost_usd"]),
        str(m["errors"]),
    ]


_SUMMARY_HEADERS = (
    "acceptance",
    "coverage",
    "expectations",
    "case pass",
    "accepted (1st + re-ask + repaired)",
    "fallback (notes)",
    "bullet accept rate",
    "violations/run",
    "forbidden slips",
    "schema-valid",
    "attempts/run",
    "latency p50/p95 s",
    "tokens (in + out)",
    "cost",
    "errors",
)
_TAG_HEADERS = ("cases", *_SUMMARY_HEADERS, "source refusals")


# --------------------------------------------------------------------------------------------------
# Markdown


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_group_rows(
    groups: Sequence[Mapping[str, Any]],
    cells: Callable[[Mapping[str, Any]], list[str]],
    label: Callable[[Mapping[str, Any]], str] = group_label,
) -> list[str]:
    """One table row per prompt/model (or tag group): its label, then ``cells(metrics)``."""
    return [f"| {_md(label(g))} | " + " | ".join(_md(c) for c in cells(g["metrics"])) + " |" for g in groups]


def render_markdown(report: Report) -> str:
    cfg = report["config"]
    groups = report["groups"]
    lines = [
        "# bulletguard eval",
        "",
        f"{cfg['cases']} cases · prompts {', '.join(cfg['prompts'])} · models {', '.join(cfg['models'])} · "
        f"repeat {cfg['repeat']} · max bullets {cfg['max_bullets']} · mode {cfg['mode']}",
        "",
        "## Summary",
        "",
        "| prompt · model | " + " | ".join(_SUMMARY_HEADERS) + " |",
        "|---|" + "---|" * len(_SUMMARY_HEADERS),
    ]
    lines += _md_group_rows(groups, _summary_cells)
    lines += ["", "## Violations caught, by kind", "", "| prompt · model | " + " | ".join(KINDS) + " |"]
    lines.append("|---|" + "---|" * len(KINDS))
    lines += _md_group_rows(groups, lambda m: [str(m["violations_by_kind"].get(k, 0)) for k in KINDS])
    if report.get("tags"):
        lines += ["", "## By tag", "", "| tag · prompt · model | " + " | ".join(_TAG_HEADERS) + " |"]
        lines.append("|---|" + "---|" * len(_TAG_HEADERS))
        lines += _md_group_rows(report["tags"], _tag_cells, tag_label)
    lines += ["", "## Cases", "", "| case | area | " + " | ".join(_md(group_label(g)) for g in groups) + " |"]
    lines.append("|---|---|" + "---|" * len(groups))
    notes: list[str] = []
    for case in report["cases"]:
        cells = []
        for result in case["results"]:
            m = result["metrics"]
            mark = "pass" if m["passed"] else "FAIL"
            cells.append(
                f"{mark} {m['passes']}/{m['runs']}, {m['bullets_accepted']} accepted, cov {percent(m['coverage'])}"
            )
            where = f"{case['id']} ({result['prompt']} · {result['model']})"
            if m["forbidden"]:
                notes.append(f"- {_md(where)}: forbidden claim(s) accepted: {_md(', '.join(m['forbidden']))}")
            if m["errors"]:
                errors = {r["error"] for r in result["runs"] if r["error"]}
                notes.append(f"- {_md(where)}: {m['errors']} failed run(s): {_md('; '.join(sorted(errors)))}")
        lines.append(f"| {_md(case['id'])} | {_md(case['proof_area'])} | " + " | ".join(cells) + " |")
    if notes:
        lines += ["", "## Problems", "", *notes]
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# HTML


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_group_rows(
    groups: Sequence[Mapping[str, Any]],
    cells: Callable[[Mapping[str, Any]], list[str]],
    label: Callable[[Mapping[str, Any]], str] = group_label,
) -> str:
    """One table row per prompt/model (or tag group): its label, then ``cells(metrics)`` as numbers."""
    return "".join(
        f"<tr><th>{_e(label(g))}</th>" + "".join(f'<td class="num">{_e(c)}</td>' for c in cells(g["metrics"])) + "</tr>"
        for g in groups
    )


def _kind_counts(m: Mapping[str, Any]) -> list[int]:
    """Violations caught per kind, in ``KINDS`` order."""
    return [int(m["violations_by_kind"].get(k, 0)) for k in KINDS]


_PALETTE = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#718096", "#975a16", "#2c7a7b")

_CSS = """
:root { --fg:#1a202c; --muted:#4a5568; --line:#e2e8f0; --ok:#276749; --bad:#9b2c2c; --bg2:#f7fafc; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 24px auto;
       max-width: 1400px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
.pass { color: var(--ok); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; }
details { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
summary { cursor: pointer; font-weight: 600; }
pre.notes { white-space: pre-wrap; background: var(--bg2); padding: 8px; border-radius: 4px; margin: 6px 0; }
.side { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); margin-top: 8px; }
.col { border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.col h4 { margin: 0 0 6px; font-size: 13px; }
ul.bullets { margin: 4px 0 8px; padding-left: 18px; }
li.accepted::marker { color: var(--ok); } li.rejected { color: #2d3748; } li.rejected::marker { color: var(--bad); }
mark { background: #fed7d7; color: inherit; border-bottom: 2px solid var(--bad); padding: 0 1px; }
del { background: #fed7d7; text-decoration: line-through; }
ins { background: #c6f6d5; text-decoration: none; }
.tag { display: inline-block; font-size: 11px; border-radius: 3px; padding: 0 5px; margin-left: 4px;
       background: var(--line); color: var(--muted); font-weight: normal; }
.why { color: var(--muted); font-size: 12px; }
.err { color: var(--bad); }
"""


def _bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None]) -> str:
    """Horizontal bars of a rate (0-100%), one per prompt/model."""
    width, bar_h, gap, left = 460, 18, 8, 170
    height = 30 + len(labels) * (bar_h + gap)
    span = width - left - 60
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="0" y="14" font-size="13" font-weight="600">{_e(title)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 24 + i * (bar_h + gap)
        w = 0.0 if value is None else span * float(value)
        shown = percent(value)
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(f'<text x="0" y="{y + 13}" font-size="12"><title>{_e(label)}</title>{_e(short)}</text>')
        parts.append(
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{_PALETTE[i % len(_PALETTE)]}">'
            f"<title>{_e(label)}: {_e(shown)}</title></rect>"
        )
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 13}" font-size="12">{_e(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _kinds_chart(groups: Sequence[Mapping[str, Any]]) -> str:
    """Violations caught per kind: one cluster per kind, one bar per prompt/model."""
    n = max(1, len(groups))
    bar_w, cluster_gap, top, plot_h = 14, 18, 24, 150
    width = 40 + len(KINDS) * (n * bar_w + cluster_gap)
    height = top + plot_h + 40 + 16 * n
    counts = [_kind_counts(g["metrics"]) for g in groups]
    peak = max([c for row in counts for c in row] + [1])
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="violations caught by kind">',
        '<text x="0" y="14" font-size="13" font-weight="600">Violations caught, by kind</text>',
        f'<line x1="30" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" stroke="#a0aec0"/>',
    ]
    for ki, kind in enumerate(KINDS):
        x0 = 36 + ki * (n * bar_w + cluster_gap)
        for gi, group in enumerate(groups):
            count = counts[gi][ki]
            h = plot_h * count / peak
            x = x0 + gi * bar_w
            parts.append(
                f'<rect x="{x}" y="{top + plot_h - h:.1f}" width="{bar_w - 2}" height="{h:.1f}" '
                f'fill="{_PALETTE[gi % len(_PALETTE)]}"><title>{_e(group_label(group))} · {_e(kind)}: {count}'
                "</title></rect>"
            )
            parts.append(
                f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{top + plot_h - h - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{count}</text>'
            )
        parts.append(
            f'<text x="{x0 + n * bar_w / 2:.1f}" y="{top + plot_h + 14}" font-size="11" '
            f'text-anchor="middle">{_e(kind)}</text>'
        )
    for gi, group in enumerate(groups):
        y = top + plot_h + 30 + gi * 16
        parts.append(f'<rect x="36" y="{y - 9}" width="10" height="10" fill="{_PALETTE[gi % len(_PALETTE)]}"/>')
        parts.append(f'<text x="52" y="{y}" font-size="11">{_e(group_label(group))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def highlight(text: str, violations: Sequence[Mapping[str, Any]]) -> str:
    """``text`` escaped, with each violating span in ``<mark title="message">``; overlapping spans merge."""
    spans: list[tuple[int, int, list[str]]] = []
    for v in sorted(violations, key=lambda v: (int(v["start"]), int(v["end"]))):
        start, end = max(0, int(v["start"])), min(len(text), int(v["end"]))
        if end <= start:
            continue  # not a span of the text (e.g. an unknown source id)
        if spans and start < spans[-1][1]:
            last = spans[-1]
            spans[-1] = (last[0], max(last[1], end), [*last[2], str(v["message"])])
        else:
            spans.append((start, end, [str(v["message"])]))
    out: list[str] = []
    cursor = 0
    for start, end, messages in spans:
        out.append(_e(text[cursor:start]))
        out.append(f'<mark title="{_e(" / ".join(messages))}">{_e(text[start:end])}</mark>')
        cursor = end
    out.append(_e(text[cursor:]))
    return "".join(out)


def diff_html(before: str, after: str) -> str:
    """The word-level edits from ``before`` to ``after``, escaped: ``<del>`` removed, ``<ins>`` added."""
    out: list[str] = []
    cursor = 0
    for e in edits_between(before, after):
        out.append(_e(before[cursor : e.start]))
        if e.end > e.start:
            out.append(f"<del>{_e(before[e.start : e.end])}</del>")
        if e.replacement:
            out.append(f"<ins>{_e(e.replacement)}</ins>")
        cursor = e.end
    out.append(_e(before[cursor:]))
    return "".join(out)


def _accepted_html(b: Mapping[str, Any]) -> str:
    origin = b.get("origin", "model")
    if origin == "repaired" and b.get("original"):
        kinds = ", ".join(sorted({str(v["kind"]) for v in b.get("violations", [])}))
        return (
            f'<li class="accepted repaired">{diff_html(str(b["original"]), str(b["text"]))}'
            f'<span class="tag">repaired: {_e(kinds)}</span><span class="tag">attempt {int(b["attempt"])}</span></li>'
        )
    if origin == "fallback":
        tag = '<span class="tag">fallback: a sentence of the notes</span>'
        return f'<li class="accepted fallback">{_e(b["text"])}{tag}</li>'
    return f'<li class="accepted">{_e(b["text"])}<span class="tag">attempt {int(b["attempt"])}</span></li>'


def _run_html(run: Mapping[str, Any], repeat: int) -> str:
    parts: list[str] = []
    if repeat > 1:
        verdict = "pass" if run["outcome"]["passed"] else "fail"
        parts.append(f'<div class="why">run {run["repeat"]}: <span class="{verdict}">{verdict}</span></div>')
    if run["error"]:
        parts.append(f'<div class="err">error: {_e(run["error"])}</div>')
    items = [_accepted_html(b) for b in run["accepted"]]
    for b in run["rejected"]:
        violations = b.get("violations", [])
        unplaced = [v for v in violations if int(v["end"]) <= int(v["start"])]
        extra = "".join(f'<div class="why">{_e(v["message"])}</div>' for v in unplaced)
        kinds = ", ".join(sorted({str(v["kind"]) for v in violations}))
        items.append(
            f'<li class="rejected"><s>refused</s> {highlight(b["text"], violations)}'
            f'<span class="tag">{_e(kinds)}</span><span class="tag">attempt {int(b["attempt"])}</span>{extra}</li>'
        )
    if items:
        parts.append(f'<ul class="bullets">{"".join(items)}</ul>')
    elif not run["error"]:
        parts.append('<div class="why">no bullets</div>')
    outcome = run["outcome"]
    for hit in outcome["forbidden"]:
        parts.append(f'<div class="err">forbidden claim accepted: {_e(hit["claim"])}</div>')
    if outcome["keep_missing"]:
        parts.append(f'<div class="why">facts not kept: {_e(", ".join(outcome["keep_missing"]))}</div>')
    return "".join(parts)


def _case_html(case: Mapping[str, Any], repeat: int) -> str:
    badges = "".join(
        f'<span class="tag {"pass" if r["metrics"]["passed"] else "fail"}">{_e(r["prompt"])}: '
        f"{'pass' if r['metrics']['passed'] else 'fail'}</span>"
        for r in case["results"]
    )
    evidence = "".join(f"<li><b>{_e(e['id'])}</b>: {_e(e['text'])}</li>" for e in case["evidence"])
    expect = case["expect"]
    rows = [
        f'<pre class="notes">{_e(case["notes"])}</pre>',
        f'<ul class="bullets">{evidence}</ul>' if evidence else "",
        f'<div class="why">redact: {_e(", ".join(case["redact"]))}</div>' if case["redact"] else "",
        f'<div class="why">keep: {_e(", ".join(expect["keep"]) or "–")} · forbid: '
        f"{_e(', '.join(expect['forbid']) or '–')} · min accepted: {int(expect['min_accepted'])} · "
        f"input facts: {_e(', '.join(case['facts']) or '–')}</div>",
    ]
    columns = []
    for result in case["results"]:
        m = result["metrics"]
        runs = "".join(_run_html(run, repeat) for run in result["runs"])
        columns.append(
            f'<div class="col"><h4>{_e(result["prompt"])} · {_e(result["model"])} '
            f'<span class="{"pass" if m["passed"] else "fail"}">{m["passes"]}/{m["runs"]} pass</span> '
            f'<span class="tag">coverage {percent(m["coverage"])}</span></h4>{runs}</div>'
        )
    return (
        f'<details id="{_e(case["id"])}"><summary>{_e(case["id"])} — {_e(case["title"])}'
        f'<span class="tag">{_e(case["proof_area"])}</span><span class="tag">{_e(case["seniority"])}</span>'
        f'{badges}</summary>{"".join(rows)}<div class="side">{"".join(columns)}</div></details>'
    )


def render_html(report: Report) -> str:
    cfg = report["config"]
    groups = report["groups"]
    labels = [group_label(g) for g in groups]
    head_cells = "".join(f"<th>{_e(h)}</th>" for h in _SUMMARY_HEADERS)
    summary_rows = _html_group_rows(groups, _summary_cells)
    kinds_head = "".join(f"<th>{_e(k)}</th>" for k in KINDS)
    kinds_rows = _html_group_rows(groups, lambda m: [str(count) for count in _kind_counts(m)])
    tags_table = ""
    if report.get("tags"):
        tag_head = "".join(f"<th>{_e(h)}</th>" for h in _TAG_HEADERS)
        tags_table = (
            f"<h2>By tag</h2><table><tr><th>tag · prompt · model</th>{tag_head}</tr>"
            f"{_html_group_rows(report['tags'], _tag_cells, tag_label)}</table>"
        )
    charts = [
        _bar_chart(f"{key.capitalize()}: {what}", labels, [g["metrics"][key] for g in groups]) for key, what in _CHARTS
    ]
    charts.append(_kinds_chart(groups))
    chart_divs = "".join(f'<div class="chart">{chart}</div>' for chart in charts)
    matrix_head = "".join(f"<th>{_e(label)}</th>" for label in labels)
    matrix_rows = []
    for case in report["cases"]:
        cells = []
        for result in case["results"]:
            m = result["metrics"]
            verdict = "pass" if m["passed"] else "fail"
            cells.append(
                f'<td><span class="{verdict}">{verdict}</span> {m["passes"]}/{m["runs"]} · '
                f"{m['bullets_accepted']} accepted · cov {percent(m['coverage'])}"
                + (f' · <span class="err">forbidden: {_e(", ".join(m["forbidden"]))}</span>' if m["forbidden"] else "")
                + "</td>"
            )
        matrix_rows.append(
            f'<tr><td><a href="#{_e(case["id"])}">{_e(case["id"])}</a></td><td>{_e(case["proof_area"])}</td>'
            f"<td>{_e(case['seniority'])}</td>{''.join(cells)}</tr>"
        )
    meta = report.get("meta", {})
    when = f" · generated {_e(meta['started_at'])}" if "started_at" in meta else ""
    duration = f" · {float(meta['wall_seconds']):.0f} s" if "wall_seconds" in meta else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>bulletguard eval — {_e(', '.join(cfg['prompts']))}</title><style>{_CSS}</style></head><body>"
        "<h1>bulletguard eval</h1>"
        f'<p class="meta">{int(cfg["cases"])} cases · prompts {_e(", ".join(cfg["prompts"]))} · models '
        f"{_e(', '.join(cfg['models']))} · repeat {int(cfg['repeat'])} (pass = {int(cfg['pass_k'])}-of-"
        f"{int(cfg['repeat'])}) · max bullets {int(cfg['max_bullets'])} · mode {_e(cfg['mode'])}{when}{duration}</p>"
        "<h2>Summary</h2>"
        f"<table><tr><th>prompt · model</th>{head_cells}</tr>{summary_rows}</table>"
        f'<div class="charts">{chart_divs}</div>'
        f"<h2>Violations caught, by kind</h2><table><tr><th>prompt · model</th>{kinds_head}</tr>{kinds_rows}</table>"
        f"{tags_table}"
        f"<h2>Cases</h2><table><tr><th>case</th><th>area</th><th>seniority</th>{matrix_head}</tr>"
        f"{''.join(matrix_rows)}</table>"
        "<h2>Bullets, side by side</h2>"
        '<p class="meta">Refused bullets show the spans the guard refused; hover a highlight for its reason.</p>'
        f"{''.join(_case_html(case, int(cfg['repeat'])) for case in report['cases'])}"
        "</body></html>\n"
    )
