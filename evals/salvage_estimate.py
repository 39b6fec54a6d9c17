"""What the rewrite's salvage does to a recorded eval run, measured offline from its recorded replies.

The committed baseline (``evals/recordings``) was recorded without the salvage. With it on, a re-ask
carries other feedback (the salvaged bullets are no longer refused) and asks for fewer bullets, so an exact
replay stops at the first such call. This script measures without the model instead:

1. **Bullets** (the first reply of every run): each bullet the guard refused, its repair, the share of
   its substance the repair keeps (``Repair.kept``) and the salvage's verdict
   (:func:`service.repair.salvage`: salvaged, or why not).
2. **Runs**: every case through the real pipeline with the salvage off and on, where call *n* of a run is
   answered with the recorded reply of call *n* of that run, whatever the re-ask's wording (a tiny model
   mostly repeats itself: most recorded re-asks got the first reply again). Off, this reproduces the
   recorded figures (a check of the method); on, it estimates acceptance, coverage and LLM calls per run.
   Calls whose exact messages were never recorded are counted (``estimated_calls``).

    python evals/salvage_estimate.py [--recordings DIR] [--json OUT.json] [--all-replies] [--bullets-only]

``--all-replies`` lists the bullets of every recorded reply, not only the first ones; ``--bullets-only``
skips the runs (older recordings, whose prompt no longer renders the same, give bullets but no runs).
Offline, no model; a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.evals import EvalConfig, RecordingStore, build_report, load_cases, run_eval
from service.evals.cases import REPO_ROOT, Case
from service.evals.recording import RECORDING_FORMAT, cache_key
from service.evals.run_settings import load_run_settings
from service.guard import check_bullet, extract_facts
from service.repair import salvage
from service.rewrite.grounding import Grounding
from service.rewrite.llm.errors import LLMError
from service.rewrite.port import LLMReply
from service.rewrite.reply import parse_reply

RECORDINGS = REPO_ROOT / "evals" / "recordings"
GUARD_KINDS = frozenset({"metric", "tool", "ownership", "scope", "outcome", "redacted"})

# the metrics compared with the salvage off and on, in the order printed
SHOWN = (
    "acceptance",
    "coverage",
    "forbidden_slips",
    "attempts_per_run",
    "bullets_accepted",
    "bullets_accepted_first_attempt",
    "bullets_accepted_after_reask",
    "bullets_repaired",
    "bullets_fallback",
    "acceptance_with_fallback",
    "coverage_with_fallback",
)


def _recordings(root: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(root.glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == RECORDING_FORMAT:
            out.append(data)
    return out


class LooseReplay:
    """An ``LLMClient`` that answers call *n* of a run with the recorded reply of call *n* of that run
    (the last recorded one past the end), whatever the messages; the run is told by its first two
    messages, which every call of a run starts with."""

    def __init__(self, recordings: Sequence[dict[str, Any]], store: RecordingStore, prompt: str, repeats: int) -> None:
        self.prompt, self.repeats, self.store = prompt, repeats, store
        self.first: dict[str, tuple[str, int]] = {}
        self.replies: dict[tuple[str, int], dict[int, dict[str, Any]]] = {}
        for rec in recordings:
            run = (str(rec["case_id"]), int(rec["repeat"]))
            self.replies.setdefault(run, {})[int(rec["call"])] = rec
            if rec["call"] == 1:
                self.first[str(rec["key"])] = run
        self.calls: Counter[tuple[str, int]] = Counter()
        self.estimated = 0  # calls answered with a reply recorded for other messages

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float,
        response_schema: dict[str, Any],
        timeout: float,
    ) -> LLMReply:
        key: dict[str, Any] = {
            "model": model,
            "temperature": temperature,
            "response_schema": response_schema,
            "prompt_version": self.prompt,
        }
        run = next(
            (
                self.first[k]
                for repeat in range(1, self.repeats + 1)
                if (k := cache_key(messages=messages[:2], repeat=repeat, call=1, **key)) in self.first
            ),
            None,
        )
        if run is None:
            raise LookupError("no recorded run starts with these messages: the prompt or a case changed")
        self.calls[run] += 1
        call = self.calls[run]
        exact = cache_key(messages=messages, repeat=run[1], call=call, **key)
        if self.store.load(exact) is None:
            self.estimated += 1
        recorded = self.replies[run]
        rec = recorded.get(call) or recorded[max(recorded)]
        if rec.get("error") is not None:
            raise LLMError(str(rec["error"]["message"]))
        reply = rec["reply"]
        return LLMReply(
            content=str(reply["content"]),
            model=str(reply["model"]),
            prompt_tokens=int(reply["prompt_tokens"]),
            completion_tokens=int(reply["completion_tokens"]),
            cost_usd=reply["cost_usd"],
        )


def bullet_rows(
    cases: dict[str, Case], recordings: Sequence[dict[str, Any]], all_replies: bool
) -> list[dict[str, Any]]:
    """Every refused bullet of the first (or every) recorded reply, with its repair and salvage verdict."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for rec in sorted(recordings, key=lambda r: (r["case_id"], r["repeat"], r["call"])):
        case = cases.get(str(rec["case_id"]))
        if case is None or rec.get("reply") is None or (rec["call"] != 1 and not all_replies):
            continue
        parsed, _ = parse_reply(rec["reply"]["content"])
        if parsed is None:
            continue
        facts = extract_facts(case.notes, case.evidence, case.redact)
        grounding = Grounding([case.notes, *(e.text for e in case.evidence)])
        ids = {"notes", *(e.id for e in case.evidence)}
        for item in parsed.bullets:
            text = " ".join(item.text.split()).lstrip("-*•· ")
            if not text or (case.id, text) in seen:
                continue
            seen.add((case.id, text))
            violations = [*check_bullet(text, facts).violations, *grounding.check(text)]
            if not violations:
                continue
            kinds = sorted({v.kind for v in violations})
            row: dict[str, Any] = {"case": case.id, "call": rec["call"], "bullet": text, "kinds": kinds}
            cited = [s for s in item.sources if s in ids]
            if not cited or set(kinds) - GUARD_KINDS:
                row["verdict"] = "not tried: " + ("no source of the request" if not cited else "refused as source")
            else:
                verdict = salvage(text, facts)
                fix = verdict.repair
                row["repair"] = None if fix is None else fix.suggestion
                row["kept"] = None if fix is None else round(fix.kept, 2)
                grounded = verdict.text is None or not grounding.check(verdict.text)
                row["verdict"] = "salvaged" if verdict.salvaged and grounded else f"refused: {verdict.refused}"
            rows.append(row)
    return rows


def run_metrics(
    cases: Sequence[Case], recordings: Sequence[dict[str, Any]], root: Path, repair: bool
) -> dict[str, Any]:
    settings = load_run_settings(root)
    if settings is None:
        raise SystemExit(f"{root}: no run.json beside the recordings")
    llm = LooseReplay(recordings, RecordingStore(root), settings.prompts[0], settings.repeat)
    config = EvalConfig(
        prompts=settings.prompts[:1],
        models=settings.models[:1],
        repeat=settings.repeat,
        max_bullets=settings.max_bullets,
        max_reasks=settings.max_reasks,
        temperature=settings.temperature,
        concurrency=1,
        repair=repair,
    )
    records = asyncio.run(run_eval(cases, config, llm=llm, show_progress=False))
    metrics = build_report(cases, records, config)["groups"][0]["metrics"]
    out = {k: metrics[k] for k in (*SHOWN, "expectations")}
    out["estimated_calls"] = llm.estimated
    out["repaired"] = [
        {"case": r.case_id, "before": b.original, "after": b.text}
        for r in records
        for b in r.accepted
        if b.origin == "repaired"
    ]
    out["fallback"] = [
        {"case": r.case_id, "text": b.text} for r in records for b in r.accepted if b.origin == "fallback"
    ]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", type=Path, default=RECORDINGS, metavar="DIR")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write every figure and row here")
    parser.add_argument("--all-replies", action="store_true", help="bullets of every reply, not only the first")
    parser.add_argument("--bullets-only", action="store_true", help="the bullets' verdicts, no runs")
    args = parser.parse_args(argv)

    recordings = _recordings(args.recordings)
    settings = load_run_settings(args.recordings)
    by_id = {c.id: c for c in load_cases()}
    wanted = settings.cases if settings is not None else tuple(sorted({str(r["case_id"]) for r in recordings}))
    cases = [by_id[c] for c in wanted if c in by_id]
    rows = bullet_rows(by_id, recordings, args.all_replies)
    verdicts = Counter(r["verdict"].split(":")[0] for r in rows)
    print(f"refused bullets ({'every reply' if args.all_replies else 'first replies'}): {len(rows)}; {dict(verdicts)}")
    for r in rows:
        if "repair" in r:
            print(f"  [{r['case']}] {r['bullet']!r}\n      -> {r['repair']!r} kept={r['kept']} {r['verdict']}")
    if args.bullets_only:
        if args.json is not None:
            args.json.write_text(json.dumps({"bullets": rows}, indent=2) + "\n", encoding="utf-8")
        return 0
    off = run_metrics(cases, recordings, args.recordings, repair=False)
    on = run_metrics(cases, recordings, args.recordings, repair=True)
    print(f"\nruns: {len(cases)}            salvage off   salvage on")
    for k in (*SHOWN, "estimated_calls"):
        print(f"  {k:32} {off[k]!s:>12} {on[k]!s:>12}")
    print("\nsalvaged in the runs (salvage on):")
    for r in on["repaired"]:
        print(f"  [{r['case']}] {r['before']!r}\n      -> {r['after']!r}")
    if args.json is not None:
        args.json.write_text(json.dumps({"bullets": rows, "off": off, "on": on}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
