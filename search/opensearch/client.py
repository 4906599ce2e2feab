"""The OpenSearch client and the one place where transient failures are retried.

The client's own retry loop resends at once; a busy or restarting cluster needs time, so
the client only moves a request that could not connect on to the next node of a cluster,
and ``call`` retries 429, 5xx and connection errors with exponential backoff. What is
still failing afterwards becomes ``SearchUnavailable`` (the worker leaves the document
pending); other HTTP errors pass through unchanged for the caller to classify.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import TransportError

from search.errors import SearchUnavailable

if TYPE_CHECKING:
    from sohoa.core.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # total tries, not retries
    initial_backoff: float = 0.5  # seconds; doubles each try
    max_backoff: float = 30.0

    def delay(self, attempt: int) -> float:
        """Backoff before try ``attempt + 1`` (full jitter keeps many workers from syncing)."""
        ceiling = min(self.max_backoff, self.initial_backoff * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)


def make_client(
    url: str | Sequence[str],
    *,
    user: str | None = None,
    password: str | None = None,
    verify_certs: bool = True,
    timeout: float = 30.0,
) -> OpenSearch:
    """A client of one node or of several (``url`` a list): requests go round-robin, and one
    that cannot connect moves on to the next node at once (that node is left out for a
    while), so a dead node costs no backoff. HTTP errors (429, 5xx) and timeouts are not
    resent here: ``call`` does, with backoff, and a timed-out write may still be running."""
    hosts = [url] if isinstance(url, str) else list(url)
    auth = (user, password) if user and password is not None else None
    return OpenSearch(
        hosts=hosts,
        http_auth=auth,
        verify_certs=verify_certs,
        ssl_show_warn=verify_certs,
        timeout=timeout,
        max_retries=len(hosts) - 1,  # only connection failures: retry_on_status is empty
        retry_on_status=(),
        retry_on_timeout=False,
        http_compress=True,
    )


def client_from_settings(settings: Settings) -> OpenSearch:
    return make_client(
        settings.opensearch_urls,
        user=settings.opensearch_user,
        password=settings.opensearch_password,
        verify_certs=settings.opensearch_verify_certs,
        timeout=settings.opensearch_timeout_seconds,
    )


def policy_from_settings(settings: Settings) -> RetryPolicy:
    return RetryPolicy(attempts=settings.opensearch_retries, initial_backoff=settings.opensearch_backoff_seconds)


def is_transient(exc: BaseException) -> bool:
    """Connection problems, timeouts, throttling and server errors are worth retrying."""
    if isinstance(exc, OSConnectionError):  # includes ConnectionTimeout
        return True
    return isinstance(exc, TransportError) and exc.status_code in RETRY_STATUSES


def call(policy: RetryPolicy, what: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` with backoff on transient failures; give up as ``SearchUnavailable``."""
    for attempt in range(policy.attempts):
        try:
            return fn()
        except TransportError as exc:
            if not is_transient(exc):
                raise
            if attempt + 1 >= policy.attempts:
                raise SearchUnavailable(
                    f"search engine unavailable during {what}", detail=describe(exc)
                ) from exc
            pause = policy.delay(attempt)
            log.warning("opensearch %s failed (%s); retrying in %.2fs", what, describe(exc), pause)
            time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def describe(exc: BaseException) -> str:
    if isinstance(exc, TransportError):
        return f"{exc.status_code} {exc.error}"
    return f"{type(exc).__name__}: {exc}"


def error_reason(error: Any) -> dict[str, Any]:
    """The ``type``/``reason`` of a bulk item error, whatever shape the engine used."""
    if isinstance(error, dict):
        return {"type": error.get("type"), "reason": error.get("reason")}
    return {"type": None, "reason": str(error)}
