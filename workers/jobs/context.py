"""What a job of this process runs with: the process's ``Services`` and the OCR engine.

RQ jobs take only ids, so whatever a job needs beyond the id is installed here once per
process by ``run_worker`` (or a test, which may swap in a failing OCR engine). A job run
in a process where nothing was installed stops with a clear error instead of guessing
settings from the environment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from sohoa.core.config import Settings
from sohoa.services import Services
from sohoa.storage.archive import ArchiveStore
from workers.ocr.tesseract import OcrEngine, ocr_image


@dataclass
class JobContext:
    services: Services
    ocr_engine: OcrEngine = field(default=ocr_image)
    # Set by the worker's SIGTERM handler: the job stops after the page it is on.
    stop_requested: threading.Event = field(default_factory=threading.Event)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.services.sessions

    @property
    def archive(self) -> ArchiveStore:
        return self.services.archive


_current: JobContext | None = None


def install(services: Services, *, ocr_engine: OcrEngine | None = None) -> JobContext:
    """Make ``services`` (and ``ocr_engine``) what this process's jobs use."""
    global _current  # noqa: PLW0603 - one context per process, installed by its runner
    _current = JobContext(services) if ocr_engine is None else JobContext(services, ocr_engine)
    return _current


def clear() -> None:
    global _current  # noqa: PLW0603 - see install
    _current = None


def installed() -> JobContext | None:
    """The context if one is installed (the worker's signal handler asks without failing)."""
    return _current


def current() -> JobContext:
    if _current is None:
        raise RuntimeError("no job context in this process: jobs run in `sohoa worker` "
                           "(workers.jobs.runner.run_worker), which installs one")
    return _current
