"""Transient or permanent: the one place that decides whether a failure is the content's fault.

A job that fails because a dependency is down (Redis, the database, the search engine, the
archive volume), the disk is full, a dependency timed out, or the worker is being stopped,
must not blame the document: it stops, the document goes back to ``queued`` with a retry
time, and its content-failure attempts are left alone. Anything else (the file is corrupt,
encrypted, too large, a page cannot be read) is permanent for that page or document.

The page pipeline may not import Redis or SQLAlchemy, and this module sits below both, so
the client libraries' exceptions are recognised by the module and name of their classes
(along the MRO), never by importing them. ``tests/unit/test_faults.py`` raises the real
exceptions of each library, so a rename in a new release fails a test instead of turning
outages into content failures again.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

from sohoa.core.errors import ServiceUnavailable, SohoaError
from sohoa.core.redact import without_paths
from sohoa.core.vocab import FaultCode

# errno values meaning "this disk is full" and "this storage is not there right now"
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
STORAGE_ERRNOS = frozenset({errno.EIO, errno.ESTALE, errno.ENOTCONN, errno.EROFS, errno.ETIMEDOUT,
                            errno.EHOSTDOWN, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENODEV})

# (module prefix, class name) found along an exception's MRO -> its fault
_BY_CLASS: dict[tuple[str, str], FaultCode] = {
    ("redis.exceptions", "ConnectionError"): FaultCode.REDIS_UNAVAILABLE,
    ("redis.exceptions", "TimeoutError"): FaultCode.REDIS_UNAVAILABLE,
    ("redis.exceptions", "ReadOnlyError"): FaultCode.REDIS_UNAVAILABLE,
    ("redis.exceptions", "BusyLoadingError"): FaultCode.REDIS_UNAVAILABLE,
    ("sqlalchemy.exc", "OperationalError"): FaultCode.DATABASE_UNAVAILABLE,
    ("sqlalchemy.exc", "InterfaceError"): FaultCode.DATABASE_UNAVAILABLE,
    ("sqlalchemy.exc", "DisconnectionError"): FaultCode.DATABASE_UNAVAILABLE,
    ("sqlalchemy.exc", "TimeoutError"): FaultCode.DATABASE_UNAVAILABLE,  # connection pool exhausted
    ("psycopg", "OperationalError"): FaultCode.DATABASE_UNAVAILABLE,
    ("sqlite3", "OperationalError"): FaultCode.DATABASE_UNAVAILABLE,
    ("opensearchpy.exceptions", "ConnectionError"): FaultCode.SEARCH_UNAVAILABLE,
    ("opensearchpy.exceptions", "ConnectionTimeout"): FaultCode.SEARCH_UNAVAILABLE,
}
_DISK_FULL_TEXT = ("database or disk is full", "no space left on device", "disk quota exceeded")
_PG_DISK_FULL = "53100"  # SQLSTATE disk_full


class TransientFault(SohoaError):
    """A dependency or resource is unavailable right now; try again later (503)."""

    code, status = FaultCode.SERVICE_UNAVAILABLE.value, 503

    def __init__(self, code: FaultCode, message: str, *, detail: object = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code.value, detail=detail, headers=headers)
        self.fault = code


class WorkerShutdown(TransientFault):
    """The worker was asked to stop: leave the document for the next worker."""

    def __init__(self, message: str = "the worker is stopping") -> None:
        super().__init__(FaultCode.WORKER_SHUTDOWN, message)


def transient_code(exc: BaseException) -> FaultCode | None:
    """The fault behind ``exc`` when it is transient, else None (permanent, or a bug)."""
    for link in _chain(exc):
        code = _classify(link)
        if code is not None:
            return code
        if isinstance(link, SohoaError) and link.__cause__ is None:
            return None  # a deliberate verdict on the content (corrupt, encrypted...)
    return None


def is_transient(exc: BaseException) -> bool:
    return transient_code(exc) is not None


def describe(exc: BaseException, limit: int = 500) -> str:
    """One line for a stored reason (``last_fault``, shown by the API): no server paths."""
    return without_paths(f"{type(exc).__name__}: {exc}")[:limit]


def is_disk_full(exc: BaseException) -> bool:
    return transient_code(exc) == FaultCode.DISK_FULL


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then what caused it (``raise … from``) or what it interrupted, at most 8 deep."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen and len(seen) < 8:
        seen.add(id(link))
        yield link
        link = link.__cause__ if link.__cause__ is not None else (
            None if link.__suppress_context__ else link.__context__)


def _classify(exc: BaseException) -> FaultCode | None:
    if isinstance(exc, TransientFault):
        return exc.fault
    if isinstance(exc, ServiceUnavailable):  # e.g. search.errors.SearchUnavailable
        return FaultCode(exc.code) if exc.code in FaultCode.__members__.values() else FaultCode.SERVICE_UNAVAILABLE
    if _mentions_disk_full(exc):
        return FaultCode.DISK_FULL
    for cls in type(exc).__mro__:
        for (module, name), code in _BY_CLASS.items():
            if cls.__name__ == name and cls.__module__.startswith(module):
                return code
    if isinstance(exc, OSError):
        return _classify_os_error(exc)
    return None


def _classify_os_error(exc: OSError) -> FaultCode | None:
    if exc.errno in DISK_FULL_ERRNOS:
        return FaultCode.DISK_FULL
    if exc.errno in STORAGE_ERRNOS:
        return FaultCode.STORAGE_UNAVAILABLE
    if isinstance(exc, TimeoutError):
        return FaultCode.DEPENDENCY_TIMEOUT
    if isinstance(exc, ConnectionError):
        return FaultCode.SERVICE_UNAVAILABLE
    return None


def _mentions_disk_full(exc: BaseException) -> bool:
    """ENOSPC as an errno, or as a database's words (SQLite says it in text, PostgreSQL in
    SQLSTATE 53100, both wrapped in SQLAlchemy's exception as ``orig``)."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return True
    orig = getattr(exc, "orig", None)
    for candidate in (exc, orig):
        if candidate is None:
            continue
        if getattr(candidate, "sqlstate", None) == _PG_DISK_FULL:
            return True
    if type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
        text = str(exc).lower()
        return any(words in text for words in _DISK_FULL_TEXT)
    return False
