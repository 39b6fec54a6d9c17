"""Resume files: read JSON Resume, RenderCV YAML and Markdown resumes into entries and bullets, and check
an edit of one (did the new version claim what the old one, the notes and the evidence do not?).

Usage::

    before = parse_resume(old_text, "json-resume")     # ResumeError: not a valid resume, and why
    after = parse_resume(new_text)                     # the format detected from the text
    report = check_edit(before, after, notes, evidence, redact)
    report.rejected, report.entries[0].bullets[0].verdict   # "unchanged" / "accepted" / "rejected"

The readers, the pairing and the check are plain functions of text (no files, no network, no
settings); every verdict comes from the guard's public API. Files, git, HTTP and MCP are the callers'.
"""

from service.resume._check import (
    BulletCheck,
    BulletVerdict,
    EntryCheck,
    PairedBy,
    ResumeCheck,
    check_edit,
    check_resume,
    pair_entries,
)
from service.resume._markdown import plain
from service.resume._model import FORMAT_NAMES, FORMATS, Bullet, Entry, Resume, ResumeError, ResumeFormat
from service.resume._read import detect_format, format_for_name, parse_resume, resume_from_object

__all__ = [
    "FORMATS",
    "FORMAT_NAMES",
    "Bullet",
    "BulletCheck",
    "BulletVerdict",
    "Entry",
    "EntryCheck",
    "PairedBy",
    "Resume",
    "ResumeCheck",
    "ResumeError",
    "ResumeFormat",
    "check_edit",
    "check_resume",
    "detect_format",
    "format_for_name",
    "pair_entries",
    "parse_resume",
    "plain",
    "resume_from_object",
]
