"""compose.yaml runs several replicas as docs/operations.md says: no container engine runs here, so the file
is checked for the properties a deployment relies on (two replicas behind one published port, shared rate
limits in Redis, health checks, non-root, the optional local-model profile)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def env(service: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in service["environment"].items()}


def test_two_replicas_of_the_service_are_built_from_this_repository(services: dict[str, Any]) -> None:
    api = services["api"]
    assert api["deploy"]["replicas"] == 2
    assert api["build"] == "."
    assert "ports" not in api, "replicas cannot share a published port; the proxy publishes one"


def test_one_port_is_published_by_the_proxy_that_spreads_over_the_replicas(services: dict[str, Any]) -> None:
    published = [(name, port) for name, s in services.items() for port in s.get("ports", [])]
    assert published == [("proxy", "127.0.0.1:8000:8080")]
    mount = next(v for v in services["proxy"]["volumes"] if v.endswith(":/etc/nginx/nginx.conf:ro"))
    conf = (ROOT / mount.split(":")[0]).read_text(encoding="utf-8")
    assert re.search(r"server api:8000 resolve;", conf)
    assert "listen 8080;" in conf
    assert re.search(rf"client_max_body_size {Settings().max_body_bytes // 1024}k;", conf)
    timeout = int(re.search(r"proxy_read_timeout (\d+)s;", conf).group(1))  # type: ignore[union-attr]
    assert timeout > Settings().rewrite_timeout_s


def test_the_replicas_share_their_rate_limits_through_redis(services: dict[str, Any]) -> None:
    settings = env(services["api"])
    assert settings["BULLETGUARD_REDIS_URL"].startswith("redis://redis:6379")
    assert services["api"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert settings["BULLETGUARD_RATE_LIMIT"] and settings["BULLETGUARD_LLM_RATE_LIMIT"]


def test_every_variable_is_a_setting_the_service_reads(services: dict[str, Any]) -> None:
    fields = {f"BULLETGUARD_{name.upper()}" for name in Settings.model_fields}
    assert set(env(services["api"])) <= fields


@pytest.mark.parametrize("name", ["api", "proxy", "redis", "model"])
def test_every_service_has_a_health_check(services: dict[str, Any], name: str) -> None:
    check = services[name]["healthcheck"]
    assert check["test"][0] == "CMD"


@pytest.mark.parametrize("name", ["api", "redis", "model"])
def test_services_run_as_non_root(services: dict[str, Any], name: str) -> None:
    user = str(services[name]["user"])
    assert not user.startswith(("0", "root"))


def test_the_service_health_check_asks_for_readiness(services: dict[str, Any]) -> None:
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])


def test_the_bundled_model_is_an_optional_profile_the_replicas_point_at(services: dict[str, Any]) -> None:
    model = services["model"]
    assert model["profiles"] == ["local-model"]
    assert model["build"]["args"]["WITH_LOCAL_MODEL"] == "true"
    assert "--port 8766" in model["command"][-1]
    settings = env(services["api"])
    assert "http://model:8766/v1" in settings["BULLETGUARD_API_BASE"]
    assert "json_object" in settings["BULLETGUARD_LLM_SCHEMA_MODE"]
    assert "profiles" not in services["api"] and "profiles" not in services["redis"]
