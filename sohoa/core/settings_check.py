"""Turn a pydantic ``ValidationError`` on ``Settings`` into a message a person can act on.

Every entry point builds its settings through ``load_settings`` so that a typo in
``SOHOA_PORT`` stops the program with the variable's name, not a traceback.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from sohoa.core.config import Settings
from sohoa.core.errors import ConfigError

__all__ = ["ConfigError", "describe_validation_error", "load_settings"]


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and ``.env``), or ``ConfigError`` listing every problem."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc), detail=exc.errors(include_url=False)) from exc


def describe_validation_error(exc: ValidationError) -> str:
    lines = ["invalid configuration:"]
    for err in exc.errors(include_url=False):
        loc = [str(part) for part in err.get("loc", ()) if part != "__root__"]
        where = f"SOHOA_{loc[0].upper()}" if loc else "settings"
        got = err.get("input")
        shown = "" if loc == [] or isinstance(got, dict) else f" (got {got!r})"
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        lines.append(f"  {where}: {message}{shown}")
    return "\n".join(lines)
