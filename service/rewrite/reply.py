"""The model's reply: its JSON Schema (``schemas/rewrite_reply.schema.json``, package data found through
:mod:`importlib.resources`, like the prompts), the schema sent with one request, and the parsing and
validation of a reply (JSON Schema, then pydantic), whose errors are short enough to send back to the model.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, get_args

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, ValidationError

REPLY_SCHEMA_PATH = Path(str(files("service") / "schemas" / "rewrite_reply.schema.json"))

ProofArea = Literal["api", "data", "performance", "reliability", "security", "ownership", "collaboration"]
PROOF_AREAS: tuple[str, ...] = get_args(ProofArea)

_MAX_REPLY_ERRORS = 5
_MAX_ERROR_CHARS = 200


class ReplyBullet(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str
    sources: list[str] = Field(min_length=1, max_length=8)
    proof_area: ProofArea


class RewriteReply(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    bullets: list[ReplyBullet] = Field(min_length=1, max_length=8)


@cache
def reply_schema() -> dict[str, Any]:
    """The JSON Schema of a reply, as stored in ``schemas/rewrite_reply.schema.json``."""
    schema: dict[str, Any] = json.loads(REPLY_SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


@cache
def _reply_validator() -> Any:
    return jsonschema.Draft202012Validator(reply_schema())


def wire_schema() -> dict[str, Any]:
    """The schema as sent to the model: without ``$schema``/``$id``, which some servers refuse."""
    return {k: v for k, v in reply_schema().items() if k not in {"$schema", "$id"}}


def request_schema(source_ids: Sequence[str]) -> dict[str, Any]:
    """:func:`wire_schema` for one request: each bullet's ``sources`` items narrowed to the ids this
    request allows (an ``enum``), so a server that enforces the schema (llama.cpp turns it into a
    grammar) cannot cite an id that does not exist. The reply is still validated against the file's
    schema, and cited ids are still checked: a server may ignore the schema."""
    schema = copy.deepcopy(wire_schema())
    sources = schema["properties"]["bullets"]["items"]["properties"]["sources"]
    sources["items"] = {**sources["items"], "enum": list(source_ids)}
    return schema


_FENCE_RE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "reply"


def parse_reply(content: str) -> tuple[RewriteReply | None, tuple[str, ...]]:
    """Parse and validate a reply: ``(reply, ())`` or ``(None, errors)``. Strips a ```json fence."""
    text = content.strip()
    fenced = _FENCE_RE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text:
        return None, ("The reply was empty; answer with a JSON object.",)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, (f"The reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}).",)
    schema_errors = sorted(_reply_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if schema_errors:
        return None, tuple(
            _clip(f"{_json_path(e.absolute_path)}: {e.message}", _MAX_ERROR_CHARS)
            for e in schema_errors[:_MAX_REPLY_ERRORS]
        )
    try:
        return RewriteReply.model_validate(data), ()
    except ValidationError as exc:
        return None, tuple(
            _clip(f"{_json_path(err['loc'])}: {err['msg']}", _MAX_ERROR_CHARS)
            for err in exc.errors()[:_MAX_REPLY_ERRORS]
        )
