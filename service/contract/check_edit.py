"""The one place that turns a validated ``/v1/check-edit`` request into verdicts (shared by the HTTP route
and the MCP tool ``check_edit``; the CLI reads files and calls :mod:`service.resume` the same way)."""

from __future__ import annotations

from typing import Any

from service.contract.models import evidence_items
from service.contract.resume import CheckEditRequest, ResumeCheckResponse
from service.resume import Resume, ResumeError, check_edit, parse_resume, resume_from_object


class ResumeInputError(ValueError):
    """A version of the resume is not a valid resume of its format. ``field`` is ``before`` or ``after``;
    the message says what is wrong and where, without quoting the resume."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def as_error(self) -> dict[str, Any]:
        """As a validation error (FastAPI/pydantic shape, ``loc`` starting with ``body``)."""
        return {"loc": ("body", self.field), "msg": str(self), "type": "invalid_resume"}


def _read(request: CheckEditRequest, field: str) -> Resume:
    value = getattr(request, field)
    try:
        if isinstance(value, dict):
            if request.format not in (None, "json-resume"):
                raise ResumeError(f"an object is a JSON Resume; send a {request.format} resume as text")
            return resume_from_object(value)
        return parse_resume(value, request.format)
    except ResumeError as exc:
        raise ResumeInputError(field, str(exc)) from None


def run_check_edit(request: CheckEditRequest) -> ResumeCheckResponse:
    """Read both versions, pair their entries, and judge every changed bullet. Raises
    :class:`ResumeInputError` when a version is not a valid resume, or the two are in different formats."""
    before, after = _read(request, "before"), _read(request, "after")
    if before.format != after.format:
        raise ResumeInputError(
            "after",
            f"the versions are in different formats ({before.format} before, {after.format} after); "
            "send both in one format, or set `format`",
        )
    check = check_edit(before, after, request.notes or "", evidence_items(request.evidence), request.redact)
    return ResumeCheckResponse.from_check(check)
