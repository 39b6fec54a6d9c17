"""What the JSON routes share: the documented error responses, and refusing a request that breaks a limit."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError

from service.contract.models import Problem, ValidationProblem


def problem_doc(description: str, model: type[Problem] = Problem) -> dict[str, Any]:
    """One documented error response (OpenAPI ``responses`` entry) with a problem+json body."""
    return {"model": model, "description": description}


# The error responses of a route that takes a JSON body checked against the request limits.
JSON_BODY_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_doc("Malformed JSON body, or an invalid Content-Length header.", ValidationProblem),
    413: problem_doc("The request body is larger than `max_body_bytes`."),
    422: problem_doc("A field is missing, has the wrong type, or breaks a limit.", ValidationProblem),
    500: problem_doc("Unexpected server error (generic detail; quote the request_id)."),
}


def refuse_limit_errors(errors: list[dict[str, Any]]) -> None:
    """Answer 422 (through the validation handler) when the request breaks a limit; else do nothing."""
    if errors:
        raise RequestValidationError(errors)
