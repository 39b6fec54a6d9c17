"""The settings a recording was made with, kept beside it: ``<recordings>/run.json``.

A recording only answers the calls its run made: replay with another ``--max-bullets``, prompt, model
or case set asks for calls that were never recorded. So ``eval --record`` writes the run's settings next
to its recordings, and ``eval --replay`` starts from them; a flag given on the command line still wins.

    {"format": "bulletguard-recording-run/1", "prompts": ["v1"], "models": ["openai/..."],
     "max_bullets": 2, "max_reasks": 2, "repeat": 1, "temperature": null, "timeout_s": 120.0,
     "concurrency": 1, "prompts_dir": null, "repair": true, "cases": ["api-01-...", ...]}

``prompts_dir`` is the ``--prompts`` directory of the run (null: only the package's ``prompts/``).
``concurrency`` and ``timeout_s`` do not change what is asked, only how; they are kept so that the
replayed report's ``config`` is the recorded one. ``repair`` (the pipeline's salvage and fallback) changes
what a re-ask asks: recordings whose ``run.json`` predates it were made without them (``false``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from service.evals._jsonfile import write_text_atomic

RUN_SETTINGS_FORMAT = "bulletguard-recording-run/1"
RUN_SETTINGS_NAME = "run.json"


class RunSettingsError(ValueError):
    """``run.json`` exists but cannot be used."""


@dataclass(frozen=True, slots=True)
class RunSettings:
    prompts: tuple[str, ...]
    models: tuple[str, ...]
    max_bullets: int
    max_reasks: int
    repeat: int
    temperature: float | None
    timeout_s: float
    concurrency: int
    cases: tuple[str, ...]
    prompts_dir: str | None = None
    repair: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"format": RUN_SETTINGS_FORMAT, **{k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}}


def run_settings_path(recordings: Path) -> Path:
    return recordings / RUN_SETTINGS_NAME


def save_run_settings(recordings: Path, settings: RunSettings) -> Path:
    path = run_settings_path(recordings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, json.dumps(settings.as_dict(), indent=2, ensure_ascii=False) + "\n")


def _strings(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{key} must be a list of strings")
    return tuple(value)


def load_run_settings(recordings: Path) -> RunSettings | None:
    """The settings recorded in ``recordings`` (None when the recordings carry none)."""
    path = run_settings_path(recordings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunSettingsError(f"{path}: unreadable ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != RUN_SETTINGS_FORMAT:
        raise RunSettingsError(f"{path}: not a {RUN_SETTINGS_FORMAT} file")
    try:
        temperature = data["temperature"]
        prompts_dir = data.get("prompts_dir")
        return RunSettings(
            prompts=_strings(data, "prompts"),
            models=_strings(data, "models"),
            max_bullets=int(data["max_bullets"]),
            max_reasks=int(data["max_reasks"]),
            repeat=int(data["repeat"]),
            temperature=None if temperature is None else float(temperature),
            timeout_s=float(data["timeout_s"]),
            concurrency=int(data["concurrency"]),
            cases=_strings(data, "cases"),
            prompts_dir=None if prompts_dir is None else str(prompts_dir),
            repair=bool(data.get("repair", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RunSettingsError(f"{path}: malformed ({type(exc).__name__}: {exc})") from None
