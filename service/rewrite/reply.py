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


def request_schema(source_ids: Sequence[str], text_pattern: str | None = None) -> dict[str, Any]:
    """:func:`wire_schema` for one request: each bullet's ``sources`` items narrowed to the ids this
    request allows (an ``enum``), so a server that enforces the schema (llama.cpp turns it into a
    grammar) cannot cite an id that does not exist, and its ``text`` given ``text_pattern`` (the input's
    words, :mod:`service.rewrite.wording`) if there is one. The reply is still validated against the
    file's schema, and cited ids and every bullet are still checked: a server may ignore the schema."""
    schema = copy.deepcopy(wire_schema())
    properties = _bullet_properties(schema)
    properties["sources"]["items"] = {**properties["sources"]["items"], "enum": list(source_ids)}
    if text_pattern is not None:
        properties["text"]["pattern"] = text_pattern
    return schema


def without_text_pattern(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without the pattern :func:`request_schema` put on a bullet's ``text``."""
    if "pattern" not in _bullet_properties(schema)["text"]:
        return schema
    out = copy.deepcopy(schema)
    del _bullet_properties(out)["text"]["pattern"]
    return out


def _bullet_properties(schema: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = schema["properties"]["bullets"]["items"]["properties"]
    return properties


_FENCE_RE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "reply"


# A reply is at most 8 bullets of ``max_bullet_chars`` each plus their JSON: anything much longer is refused
# unread (a buggy or hostile model's 1 MB answer costs no parsing).
_REPLY_OVERHEAD_CHARS = 2_000
_SURROGATE_RE = re.compile("[\ud800-\udfff]")

# What a broken schema rule is called in an error (never the model's value: errors are shown in a 200
# response and sent back to the model, and the value may be an invented claim).
_RULES = {
    "type": "has the wrong type",
    "required": "lacks a required field",
    "additionalProperties": "has a field the schema does not allow",
    "enum": "is not one of the allowed values",
    "minItems": "has too few items",
    "maxItems": "has too many items",
    "minLength": "is too short",
    "maxLength": "is too long",
}


def _rule_error(path: Iterable[Any], rule: str) -> str:
    return _clip(f"{_json_path(path)}: {_RULES.get(rule, f'breaks the schema rule {rule!r}')}", _MAX_ERROR_CHARS)


def parse_reply(content: str, *, max_bullet_chars: int | None = None) -> tuple[RewriteReply | None, tuple[str, ...]]:
    """Parse and validate a reply: ``(reply, ())`` or ``(None, errors)``. Strips a ```json fence.

    Errors name the path and the rule, never the model's text. A reply that is not JSON, nests too deep,
    holds an integer too long to read, a lone surrogate (text that cannot be encoded), or a bullet longer
    than ``max_bullet_chars`` is an error like any other, never an exception."""
    if max_bullet_chars is not None and len(content) > 8 * max_bullet_chars + _REPLY_OVERHEAD_CHARS:
        return None, (f"The reply is too long; each bullet has at most {max_bullet_chars} characters.",)
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
    except RecursionError:
        return None, ("The reply nests too deep; answer with the flat JSON object of the schema.",)
    except ValueError:  # an integer beyond Python's digit limit
        return None, ("The reply holds a number too long to read; answer with the JSON object of the schema.",)
    try:
        schema_errors = sorted(_reply_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    except RecursionError:
        return None, ("The reply nests too deep; answer with the flat JSON object of the schema.",)
    if schema_errors:
        return None, tuple(_rule_error(e.absolute_path, str(e.validator)) for e in schema_errors[:_MAX_REPLY_ERRORS])
    try:
        parsed = RewriteReply.model_validate(data)
    except ValidationError as exc:
        return None, tuple(
            _clip(f"{_json_path(err['loc'])}: {err['msg']}", _MAX_ERROR_CHARS)
            for err in exc.errors(include_input=False, include_url=False)[:_MAX_REPLY_ERRORS]
        )
    errors: list[str] = []
    for index, bullet in enumerate(parsed.bullets):
        if max_bullet_chars is not None and len(bullet.text) > max_bullet_chars:
            errors.append(f"bullets[{index}].text: is too long (at most {max_bullet_chars} characters)")
        if _SURROGATE_RE.search(bullet.text) or any(_SURROGATE_RE.search(s) for s in bullet.sources):
            errors.append(f"bullets[{index}]: holds a lone surrogate (text that is not valid Unicode)")
    if errors:
        return None, tuple(errors[:_MAX_REPLY_ERRORS])
    return parsed, ()
