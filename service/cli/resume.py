"""``bulletguard check-edit`` and ``bulletguard verify --resume``: resume files on the command line.

``check-edit BEFORE AFTER`` checks what an edit (an AI's, say) added to a resume; ``check-edit --staged
FILE...`` compares each file's staged version with the one in HEAD (the pre-commit hook). The readers,
the pairing and the verdicts are :mod:`service.resume`'s; this module reads files, asks git, and prints.

Output: a report of the changed bullets, ``--json`` the ``/v1/check-edit`` answer, or ``--annotations
github`` GitHub Actions workflow commands (``::error file=...,line=...::...``) that put each rejected
bullet on its line of the pull request. (``--format`` names the resume format, so the annotations have
their own flag.) Exit status: 0 no changed bullet rejected, 1 any rejected, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field

from service.cli import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    InputError,
    _load_evidence,
    _read_text,
    read_as,
    within_limits,
)
from service.contract.models import EvidenceItemIn, NonBlankStr, VerifyRequest, evidence_items, limit_errors
from service.contract.resume import ResumeCheckResponse, ResumeEntryOut
from service.guard import EvidenceItem
from service.resume import (
    FORMAT_NAMES,
    FORMATS,
    Resume,
    ResumeCheck,
    ResumeError,
    ResumeFormat,
    check_edit,
    check_resume,
    format_for_name,
    parse_resume,
)
from service.settings import Settings


class _Inputs(BaseModel):
    """What a changed bullet may draw on besides the earlier resume: validated like a /v1/verify request."""

    model_config = ConfigDict(extra="forbid")

    notes: str = ""
    evidence: list[EvidenceItemIn] = Field(default_factory=list)
    redact: list[NonBlankStr] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Sources:
    notes: str
    evidence: list[EvidenceItem]
    redact: list[str]


def add_check_edit_parser(commands: Any) -> None:
    check = commands.add_parser(
        "check-edit",
        help="check what an edit added to a resume file",
        description=(
            "Read two versions of a resume (JSON Resume, RenderCV YAML or Markdown), pair each entry of AFTER "
            "with its entry in BEFORE, and check every changed bullet against that entry's earlier text plus "
            "any notes and evidence. Unchanged bullets are not judged again. With --staged, compare each "
            "FILE's staged version with HEAD (the pre-commit hook). Exit status: 0 no changed bullet "
            "rejected, 1 any rejected, 2 bad input."
        ),
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="BEFORE AFTER, or with --staged the files to check")
    check.add_argument("--staged", action="store_true", help="compare each FILE's staged version with HEAD")
    add_source_arguments(check, notes_required=False)
    add_output_arguments(check)


def add_verify_resume_arguments(verify: argparse.ArgumentParser) -> None:
    """``verify --resume FILE``: the bullets of a resume file instead of BULLETS_FILE."""
    verify.add_argument(
        "--resume",
        type=Path,
        metavar="FILE",
        help="check every bullet of a resume file (JSON Resume, RenderCV YAML or Markdown) instead of BULLETS_FILE",
    )
    add_output_arguments(verify)


def add_source_arguments(parser: argparse.ArgumentParser, *, notes_required: bool) -> None:
    parser.add_argument(
        "--notes",
        action="append",
        default=[],
        required=notes_required,
        type=Path,
        metavar="FILE",
        help="work notes or a brag document (text file; repeatable)",
    )
    parser.add_argument(
        "--evidence", type=Path, metavar="FILE.json", help='JSON list of {"id": ..., "text": ...} objects'
    )
    parser.add_argument(
        "--redact", action="append", default=[], metavar="TERM", help="a term no bullet may contain (repeatable)"
    )


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        dest="resume_format",
        help="the resume format (default: from the file extension: .json, .yaml/.yml, .md)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the /v1/check-edit JSON answer instead")
    output.add_argument(
        "--annotations",
        choices=["github"],
        help="print GitHub Actions annotations (file and line of each rejected bullet) instead",
    )


def load_sources(args: argparse.Namespace, settings: Settings) -> Sources:
    """The notes (every --notes file, in order), evidence and redaction terms, validated and within limits."""
    paths = args.notes if isinstance(args.notes, list) else [args.notes]
    notes = "\n\n".join(_read_text(path, "notes") for path in paths)
    evidence = _load_evidence(args.evidence) if args.evidence is not None else []
    inputs = read_as(_Inputs, {"notes": notes, "evidence": evidence, "redact": args.redact})
    shared = VerifyRequest.model_construct(
        notes=inputs.notes, evidence=inputs.evidence, redact=inputs.redact, bullets=[]
    )
    within_limits(limit_errors(shared, settings))
    return Sources(inputs.notes, evidence_items(inputs.evidence), list(inputs.redact))


def _format_of(path: str, given: ResumeFormat | None) -> ResumeFormat:
    if given is not None:
        return given
    found = format_for_name(path)
    if found is None:
        raise InputError(f"{path}: cannot tell the resume format from the extension; pass --format")
    return found


def _parse(text: str, format: ResumeFormat, path: str) -> Resume:
    try:
        return parse_resume(text, format)
    except ResumeError as exc:
        raise InputError(f"{path}: {exc}") from None


def check_edit_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        sources = load_sources(args, settings)
        if args.staged:
            results = _staged_checks(args.files, args.resume_format, sources)
        else:
            if len(args.files) != 2:
                raise InputError("give BEFORE and AFTER (two files), or --staged with the files to check")
            before_path, after_path = args.files
            format = _format_of(after_path, args.resume_format)
            before = _parse(_read_text(Path(before_path), "resume"), format, before_path)
            after = _parse(_read_text(Path(after_path), "resume"), format, after_path)
            results = [(after_path, check_edit(before, after, sources.notes, sources.evidence, sources.redact))]
    except InputError as exc:
        print(f"bulletguard check-edit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return _report(results, args, sys.stdout, changed_only=True)


def verify_resume_command(args: argparse.Namespace, settings: Settings) -> int:
    """``bulletguard verify --resume FILE --notes FILE``: every bullet of a resume against the notes."""
    try:
        if args.resume is None:
            raise InputError("--annotations needs --resume FILE")
        if args.bullets_file is not None:
            raise InputError("give either --resume FILE or BULLETS_FILE, not both")
        sources = load_sources(args, settings)
        if not sources.notes.strip():
            raise InputError("the notes are empty")
        path = str(args.resume)
        resume = _parse(_read_text(args.resume, "resume"), _format_of(path, args.resume_format), path)
    except InputError as exc:
        print(f"bulletguard verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    check = check_resume(resume, sources.notes, sources.evidence, sources.redact)
    return _report([(path, check)], args, sys.stdout, changed_only=False)


# --- git: the staged version against HEAD -------------------------------------------------------------


def _git_show(spec: str) -> str | None:
    """``git show SPEC`` as text, or None when git has no such object (a new file, no HEAD yet)."""
    try:
        done = subprocess.run(["git", "show", spec], capture_output=True, check=False)
    except OSError as exc:
        raise InputError(f"cannot run git: {exc.__class__.__name__}") from None
    if done.returncode != 0:
        return None
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{spec}: not UTF-8 text") from None


def _staged_checks(files: list[str], given: ResumeFormat | None, sources: Sources) -> list[tuple[str, ResumeCheck]]:
    results: list[tuple[str, ResumeCheck]] = []
    for path in files:
        relative = "./" + os.path.relpath(path) if not os.path.isabs(path) else path
        format = _format_of(path, given)
        staged = _git_show(f":{relative}")
        if staged is None:
            raise InputError(f"{path}: not in the git index (stage it first, or check two files instead)")
        head = _git_show(f"HEAD:{relative}")
        if head is None:
            print(f"bulletguard check-edit: {path}: new file, nothing to compare it with", file=sys.stderr)
            continue
        before, after = _parse(head, format, f"{path} (HEAD)"), _parse(staged, format, f"{path} (staged)")
        results.append((path, check_edit(before, after, sources.notes, sources.evidence, sources.redact)))
    return results


# --- output -----------------------------------------------------------------------------------------


def _report(
    results: list[tuple[str, ResumeCheck]], args: argparse.Namespace, out: TextIO, *, changed_only: bool
) -> int:
    responses = [(path, ResumeCheckResponse.from_check(check)) for path, check in results]
    if args.json:
        if len(responses) == 1 and not getattr(args, "staged", False):
            document: Any = responses[0][1].model_dump(mode="json")
        else:
            document = {"files": [{"path": path, **r.model_dump(mode="json")} for path, r in responses]}
        print(json.dumps(document, indent=2, ensure_ascii=False), file=out)
    elif args.annotations == "github":
        for path, response in responses:
            print_annotations(path, response, out)
    else:
        for path, response in responses:
            print_report(path, response, out, changed_only=changed_only)
    rejected = any(r.verdict == "rejected" for _, r in responses)
    return EXIT_REJECTED if rejected else EXIT_OK


def _carets(text: str, spans: list[tuple[int, int]]) -> str:
    marks = [" "] * len(text)
    for raw_start, raw_end in spans:
        start = max(0, min(raw_start, len(text)))
        end = max(start + 1, min(raw_end, len(text)))
        marks.extend(" " * (end - len(marks)))
        marks[start:end] = "^" * (end - start)
    return "".join(marks).rstrip()


def _entry_lines(entry: ResumeEntryOut, changed_only: bool) -> list[str]:
    shown = [b for b in entry.bullets if b.verdict != "unchanged" or not changed_only]
    if not shown:
        return []
    where = f" (line {entry.line})" if entry.line is not None else ""
    before = ""
    if entry.before is not None and entry.before != entry.name:
        before = f"  [was: {entry.before}]"
    elif entry.paired_by == "none" and changed_only:
        before = "  [new entry]"
    lines = [f"  {entry.section}: {entry.name}{where}{before}"]
    for bullet in shown:
        label = f"    {('line ' + str(bullet.line)) if bullet.line is not None else '':8} {bullet.verdict.upper():8} "
        lines.append(label + bullet.text)
        if bullet.violations:
            lines.append(" " * len(label) + _carets(bullet.text, [(v.start, v.end) for v in bullet.violations]))
        for violation in bullet.violations:
            lines.append(f"        {violation.kind}: {violation.text!r} - {violation.message}")
            lines.append(f"          hint: {violation.hint}")
    return lines


def print_report(path: str, response: ResumeCheckResponse, out: TextIO, *, changed_only: bool) -> None:
    s = response.summary
    print(f"{path} ({FORMAT_NAMES[response.format]}): {s.entries} entries, {s.bullets} bullet(s)", file=out)
    for entry in response.entries:
        for line in _entry_lines(entry, changed_only):
            print(line, file=out)
    judged = s.accepted + s.rejected
    tail = f"; {s.unchanged} unchanged" if changed_only else ""
    noun = "changed bullet(s)" if changed_only else "bullet(s)"
    print(f"{judged} {noun}: {s.accepted} accepted, {s.rejected} rejected{tail}", file=out)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def print_annotations(path: str, response: ResumeCheckResponse, out: TextIO) -> None:
    """One ``::error`` workflow command per violation of a rejected bullet, on the bullet's line."""
    for entry in response.entries:
        for bullet in entry.bullets:
            for violation in bullet.violations:
                where = f"file={_escape_property(path)}"
                if bullet.line is not None:
                    where += f",line={bullet.line}"
                title = _escape_property(f"bulletguard: {violation.kind}")
                message = _escape_data(f"{violation.message} Hint: {violation.hint}")
                print(f"::error {where},title={title}::{message}", file=out)
    s = response.summary
    unchanged = f"; {s.unchanged} unchanged" if s.unchanged else ""
    print(f"{path}: {s.accepted} accepted, {s.rejected} rejected{unchanged}", file=out)
