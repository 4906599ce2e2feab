"""Pieces shared by the ``sohoa`` sub-commands."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sohoa.core.config import Settings
    from sohoa.services import Services


class CliError(click.ClickException):
    """A message for the person at the terminal, with the exit code scripts can test."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class; each error has its own


def load_settings() -> Settings:
    """``sohoa.core.settings_check.load_settings``, imported on first use: the settings model
    (pydantic-settings) takes ~0.1 s to import, which ``sohoa ingest --api-url`` never needs."""
    from sohoa.core.settings_check import load_settings as load

    return load()


def echo_line(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()


@contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    """The stack's ``Services`` for one command, closed when it ends. Imported here, on use:
    the database, queue and search clients cost ~0.3 s that ``sohoa ingest`` never needs."""
    from sohoa.services import Services

    with Services.build(settings) as services:
        yield services


@contextmanager
def open_session(settings: Settings) -> Iterator[Any]:
    """A committed-on-success session with a clear message when the schema is missing."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from sohoa.core.db import make_engine, make_session_factory, session_scope

    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    except (OperationalError, ProgrammingError) as exc:
        first = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise CliError(f"database not ready ({first}); run `sohoa migrate` first") from exc
    finally:
        engine.dispose()
