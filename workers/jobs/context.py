"""Process-level worker context: the settings and engines a job uses.

RQ jobs take only ids, so whatever a job needs beyond the id comes from here. ``run_worker``
(or a test) sets it once per process; without it a job falls back to ``get_settings()``.
Stages below the job receive settings as arguments and never read the environment.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from sohoa.storage.archive import ArchiveStore
from sohoa.core.config import Settings, get_settings
from sohoa.core.db import make_engine, make_session_factory

if TYPE_CHECKING:
    from workers.ocr.tesseract import OcrEngine


def _default_engine() -> OcrEngine:
    from workers.ocr.tesseract import ocr_image

    return ocr_image


@dataclass
class WorkerContext:
    settings: Settings
    ocr_engine: OcrEngine = field(default_factory=_default_engine)

    @property
    def archive(self) -> ArchiveStore:
        return ArchiveStore(self.settings.archive_root)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.settings)


_current: WorkerContext | None = None
_factories: OrderedDict[tuple[int, str], sessionmaker[Session]] = OrderedDict()
MAX_ENGINES = 4  # a worker talks to one database; tests (and the API) may pass many


def set_context(settings: Settings, *, ocr_engine: OcrEngine | None = None) -> WorkerContext:
    """Install the context jobs of this process use (tests swap in a failing OCR engine)."""
    global _current
    _current = WorkerContext(settings) if ocr_engine is None else WorkerContext(settings, ocr_engine)
    return _current


def clear_context() -> None:
    global _current
    _current = None


def get_context() -> WorkerContext:
    global _current
    if _current is None:
        _current = WorkerContext(get_settings())
    return _current


def session_factory(settings: Settings) -> sessionmaker[Session]:
    """One engine per process and database. Pooled connections must never cross a fork
    (RQ's forking worker, ``multiprocessing`` in tests), hence the pid in the key."""
    key = (os.getpid(), settings.database_url)
    factory = _factories.get(key)
    if factory is None:
        factory = make_session_factory(make_engine(settings.database_url))
        _factories[key] = factory
        while len(_factories) > MAX_ENGINES:  # close the least recently used database's pool
            (pid, _url), old = _factories.popitem(last=False)
            if pid == os.getpid() and old.kw.get("bind") is not None:
                old.kw["bind"].dispose()
    else:
        _factories.move_to_end(key)
    return factory


def dispose_engines() -> None:
    """Close this process's pooled connections (tests call it between databases)."""
    for (pid, _url), factory in list(_factories.items()):
        if pid == os.getpid():
            bind = factory.kw.get("bind")
            if bind is not None:
                bind.dispose()
        _factories.pop((pid, _url), None)
