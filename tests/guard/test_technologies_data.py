"""Integrity of the packaged technology vocabulary (service/guard/data/technologies.json)."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

ALLOWED_CATEGORIES = frozenset(
    {
        "language",
        "framework",
        "database",
        "queue",
        "data",
        "cloud",
        "infra",
        "ci",
        "observability",
        "auth",
        "protocol",
        "testing",
        "saas",
        "tool",
    }
)

FIELD_TYPES: dict[str, type] = {
    "name": str,
    "category": str,
    "aliases": list,
    "ambiguous": list,
    "implies": list,
}

# Generic concepts that must never be listed as a technology surface form.
GENERIC_TERMS = (
    "API",
    "microservices",
    "database",
    "cache",
    "queue",
    "cron",
    "webhook",
    "ETL",
    "CI",
    "CD",
    "CI/CD",
    "HTTP",
    "HTTPS",
    "JSON",
    "YAML",
    "CSV",
    "SQL",
    "cloud",
    "serverless",
    "container",
)

_SEPARATORS = re.compile(r"[\s\-/]+")


def _norm(form: str) -> str:
    """Case-fold and collapse runs of spaces, hyphens and slashes to one space."""
    return _SEPARATORS.sub(" ", form.casefold()).strip()


@cache
def _load() -> dict[str, Any]:
    resource = files("service.guard") / "data" / "technologies.json"
    data: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return data


def _entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = _load()["technologies"]
    return entries


def _by_name() -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in _entries()}


def _forms(entry: dict[str, Any]) -> list[str]:
    return [*entry["aliases"], *entry["ambiguous"]]


def test_version_is_1() -> None:
    assert _load()["version"] == 1


def test_top_level_keys() -> None:
    assert set(_load()) == {"version", "technologies"}
    assert isinstance(_load()["technologies"], list)


def test_at_least_350_entries() -> None:
    assert len(_entries()) >= 350


def test_entries_have_five_keys_with_right_types() -> None:
    for entry in _entries():
        assert isinstance(entry, dict), entry
        assert set(entry) == set(FIELD_TYPES), entry
        for key, expected in FIELD_TYPES.items():
            assert isinstance(entry[key], expected), (entry.get("name"), key)
        for key in ("aliases", "ambiguous", "implies"):
            for item in entry[key]:
                assert isinstance(item, str), (entry["name"], key, item)
                assert item, (entry["name"], key)
                assert item == item.strip(), (entry["name"], key, item)
        assert entry["name"], entry
        assert entry["name"] == entry["name"].strip(), entry


def test_categories_are_allowed() -> None:
    bad = [(e["name"], e["category"]) for e in _entries() if e["category"] not in ALLOWED_CATEGORIES]
    assert not bad, bad


def test_names_are_unique() -> None:
    seen: dict[str, str] = {}
    for entry in _entries():
        key = entry["name"].casefold()
        assert key not in seen, (entry["name"], seen.get(key))
        seen[key] = entry["name"]


def test_every_entry_has_a_surface_form() -> None:
    empty = [e["name"] for e in _entries() if not _forms(e)]
    assert not empty, empty


def test_name_is_one_of_its_own_surface_forms() -> None:
    missing = [e["name"] for e in _entries() if _norm(e["name"]) not in {_norm(f) for f in _forms(e)}]
    assert not missing, missing


def test_no_exact_duplicate_forms_within_an_entry() -> None:
    for entry in _entries():
        folded = [f.casefold() for f in _forms(entry)]
        assert len(folded) == len(set(folded)), (entry["name"], _forms(entry))


def test_no_surface_form_in_two_entries() -> None:
    owner: dict[str, str] = {}
    clashes: list[tuple[str, str, str]] = []
    for entry in _entries():
        for form in {_norm(f) for f in _forms(entry)}:
            other = owner.setdefault(form, entry["name"])
            if other != entry["name"]:
                clashes.append((form, other, entry["name"]))
    assert not clashes, clashes


def test_implies_targets_exist() -> None:
    names = set(_by_name())
    dangling = [(e["name"], t) for e in _entries() for t in e["implies"] if t not in names]
    assert not dangling, dangling


def test_implies_has_no_self_reference_duplicates_or_cycles() -> None:
    by_name = _by_name()
    for entry in _entries():
        assert entry["name"] not in entry["implies"], entry["name"]
        assert len(entry["implies"]) == len(set(entry["implies"])), entry["name"]

    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in visiting, f"implies cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        visiting.add(name)
        for target in by_name[name]["implies"]:
            visit(target, (*path, name))
        visiting.discard(name)
        done.add(name)

    for name in by_name:
        visit(name, ())


def test_generic_concepts_are_not_technologies() -> None:
    generic = {_norm(t) for t in GENERIC_TERMS}
    hits = [(e["name"], f) for e in _entries() for f in _forms(e) if _norm(f) in generic]
    assert not hits, hits


def test_spot_check_kubernetes() -> None:
    k8s = _by_name()["Kubernetes"]
    assert "k8s" in k8s["aliases"]
    assert "kube" in k8s["aliases"]


def test_spot_check_postgresql() -> None:
    pg = _by_name()["PostgreSQL"]
    assert "Postgres" in pg["aliases"]
    assert pg["category"] == "database"


def test_spot_check_go() -> None:
    go = _by_name()["Go"]
    assert "Go" in go["ambiguous"]
    assert "Golang" in go["aliases"]
    assert "Go" not in go["aliases"]


def test_english_word_technologies_are_only_ambiguous() -> None:
    alias_forms = {_norm(f) for e in _entries() for f in e["aliases"]}
    ambiguous_forms = {_norm(f) for e in _entries() for f in e["ambiguous"]}
    for word in ("React", "Express", "Spring", "Swift", "Rust"):
        assert _norm(word) in ambiguous_forms, word
        assert _norm(word) not in alias_forms, word


def test_spot_check_implies() -> None:
    by_name = _by_name()
    assert "AWS" in by_name["Amazon S3"]["implies"]
    assert "GitHub" in by_name["GitHub Actions"]["implies"]
    assert "Kubernetes" in by_name["EKS"]["implies"]
    assert "Python" in by_name["Django"]["implies"]
    assert "Ruby" in by_name["Rails"]["implies"]
    assert "Java" in by_name["Spring"]["implies"]


def test_spot_check_oauth_and_spring_boot() -> None:
    by_name = _by_name()
    assert "OAuth 2.0" in by_name["OAuth"]["aliases"]
    assert "OIDC" in by_name["OpenID Connect"]["aliases"]
    assert "Spring Boot" in by_name["Spring"]["aliases"]
