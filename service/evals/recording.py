"""Record and replay LLM calls, so an eval run can be repeated exactly, offline.

Each call is keyed by the sha256 of what decides its answer: model, messages, temperature, response
schema, prompt version, repeat index and the call's number within its run (not the endpoint: a port may
change between runs). A recording is one small JSON file, ``<dir>/<key[:2]>/<key>.json``, holding the
reply and its latency, or the LLM error the call ended with (a timeout, say), which replay raises again.

Modes: ``live`` calls the model and keeps nothing; ``record`` calls it and (over)writes the recording;
``replay`` only reads recordings and never calls a model: a missing one raises
:class:`MissingRecording`, which names the case.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from service.evals._jsonfile import write_text_atomic
from service.rewrite.llm.errors import LLMBadGateway, LLMError, LLMMisconfigured, LLMTimeout, LLMUnavailable
from service.rewrite.port import LLMClient, LLMReply

Mode = Literal["live", "record", "replay"]
MODES: tuple[str, ...] = get_args(Mode)
RECORDING_FORMAT = "bulletguard-recording/1"


class RecordingError(RuntimeError):
    """A recording cannot be used (unreadable, or not a recording)."""


class MissingRecording(LookupError):
    """Replay asked for a call that was never recorded."""

    def __init__(self, context: RunContext, *, model: str, attempt: int, path: Path) -> None:
        super().__init__(
            f"no recording for case {context.case_id!r} (prompt {context.prompt_version}, model {model}, "
            f"repeat {context.repeat}, call {attempt}): expected {path}. Record it first with --record, "
            "with the same prompts, models, --repeat and --max-bullets."
        )
        self.case_id = context.case_id
        self.path = path


@dataclass(frozen=True, slots=True)
class RunContext:
    """Which run a call belongs to: part of the key (prompt version, repeat) and of error messages."""

    case_id: str
    prompt_version: str
    repeat: int


def cache_key(
    *,
    model: str,
    messages: list[dict[str, str]],
    temperature: float,
    response_schema: dict[str, Any],
    prompt_version: str,
    repeat: int,
    call: int = 1,
) -> str:
    payload = {
        "call": call,  # a re-ask can repeat the previous call's messages exactly: the call number tells them apart
        "model": model,
        "messages": messages,
        "temperature": temperature,
        "response_schema": response_schema,
        "prompt_version": prompt_version,
        "repeat": repeat,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_ERROR_TYPES: dict[str, type[LLMError]] = {
    cls.slug: cls for cls in (LLMError, LLMTimeout, LLMUnavailable, LLMBadGateway)
}


@dataclass(frozen=True, slots=True)
class Recorded:
    reply: LLMReply | None  # None when the call failed: then ``error`` says how
    latency_s: float
    error: LLMError | None = None


class RecordingStore:
    """Recordings under ``root``: one JSON file per key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def load(self, key: str) -> Recorded | None:
        path = self.path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RecordingError(f"{path}: unreadable recording ({exc.__class__.__name__})") from None
        if not isinstance(data, dict) or data.get("format") != RECORDING_FORMAT or data.get("key") != key:
            raise RecordingError(f"{path}: not a {RECORDING_FORMAT} recording of key {key}")
        try:
            if data.get("error") is not None:
                error = data["error"]
                cls = _ERROR_TYPES.get(str(error["slug"]), LLMError)
                return Recorded(None, float(data["latency_s"]), cls(str(error["message"])))
            reply = data["reply"]
            cost = reply["cost_usd"]
            return Recorded(
                reply=LLMReply(
                    content=str(reply["content"]),
                    model=str(reply["model"]),
                    prompt_tokens=int(reply["prompt_tokens"]),
                    completion_tokens=int(reply["completion_tokens"]),
                    cost_usd=None if cost is None else float(cost),
                ),
                latency_s=float(data["latency_s"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordingError(f"{path}: malformed recording ({exc.__class__.__name__}: {exc})") from None

    def save(self, key: str, recorded: Recorded, meta: dict[str, Any]) -> Path:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        reply = recorded.reply
        data: dict[str, Any] = {"format": RECORDING_FORMAT, "key": key, **meta, "latency_s": recorded.latency_s}
        if reply is None:
            error = recorded.error if recorded.error is not None else LLMError("no reply")
            data["error"] = {"slug": error.slug, "message": error.message}
        else:
            data["reply"] = {
                "content": reply.content,
                "model": reply.model,
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "cost_usd": reply.cost_usd,
            }
        return write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


@dataclass(frozen=True, slots=True)
class CallLog:
    attempt: int
    latency_s: float
    reply: LLMReply


@dataclass
class RecordingLLM:
    """An :class:`~service.rewrite.port.LLMClient` for one run: records, replays or passes calls through,
    and logs every answered call (reply and latency) in ``calls``."""

    inner: LLMClient | None
    mode: Mode
    store: RecordingStore | None
    context: RunContext
    clock: Callable[[], float] = time.perf_counter
    calls: list[CallLog] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}")
        if self.mode != "live" and self.store is None:
            raise ValueError(f"mode {self.mode!r} needs a recording store")
        if self.mode != "replay" and self.inner is None:
            raise ValueError(f"mode {self.mode!r} needs an LLM client")

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        model: str,
        temperature: float,
        response_schema: dict[str, Any],
        timeout: float,
    ) -> LLMReply:
        attempt = len(self.calls) + 1
        key = cache_key(
            model=model,
            messages=messages,
            temperature=temperature,
            response_schema=response_schema,
            prompt_version=self.context.prompt_version,
            repeat=self.context.repeat,
            call=attempt,
        )
        if self.mode == "replay":
            assert self.store is not None
            recorded = self.store.load(key)
            if recorded is None:
                raise MissingRecording(self.context, model=model, attempt=attempt, path=self.store.path(key))
        else:
            assert self.inner is not None
            started = self.clock()
            try:
                reply: LLMReply | None = await self.inner.complete(
                    messages, model=model, temperature=temperature, response_schema=response_schema, timeout=timeout
                )
                recorded = Recorded(reply, round(self.clock() - started, 3))
            except LLMMisconfigured:
                raise  # not the model's answer but this run's settings: nothing to replay
            except LLMError as exc:  # kept too, so that replay fails the same run the same way
                recorded = Recorded(None, round(self.clock() - started, 3), exc)
            if self.mode == "record":
                assert self.store is not None
                meta = {
                    "case_id": self.context.case_id,
                    "prompt_version": self.context.prompt_version,
                    "repeat": self.context.repeat,
                    "call": attempt,
                    "model": model,
                    "temperature": temperature,
                }
                self.store.save(key, recorded, meta)
        if recorded.reply is None:
            raise recorded.error if recorded.error is not None else LLMError("no reply recorded")
        self.calls.append(CallLog(attempt, recorded.latency_s, recorded.reply))
        return recorded.reply
