"""One index rebuild at a time.

Both backends build a new index version next to the live one and swap it in at the end;
a second rebuild started meanwhile would take the first one's half-built version for a
crashed leftover and drop it. ``rebuild_lock`` is a Redis lock (the queue's Redis, which
every part of a deployment already shares) held for the whole rebuild and renewed as it
goes, so a rebuild that dies frees it within ``LOCK_SECONDS``. Without a reachable Redis
no worker or second stack can be running against it either: the rebuild goes ahead with
a warning instead of refusing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from redis import Redis
from redis.exceptions import RedisError

from sohoa.core.config import Settings
from sohoa.core.errors import SohoaError

log = logging.getLogger(__name__)

LOCK_SECONDS = 300.0
RENEW_EVERY = 10.0


class RebuildRunning(SohoaError):
    """Another rebuild of the same index holds the lock."""

    code, status = "rebuild_running", 409


def lock_name(settings: Settings) -> str:
    target = settings.opensearch_index if settings.search_backend == "opensearch" else str(
        settings.search_sqlite_path)
    return f"sohoa:rebuild:{settings.search_backend}:{target}"


@contextmanager
def rebuild_lock(settings: Settings, redis: Redis) -> Iterator[Callable[[], None]]:
    """Hold the rebuild lock; yields ``keep_alive()`` to call as the rebuild progresses."""
    lock = redis.lock(lock_name(settings), timeout=LOCK_SECONDS)
    try:
        acquired = lock.acquire(blocking=False)
    except RedisError as exc:
        log.warning("cannot reach Redis to check for another rebuild (%s); rebuilding anyway", exc)
        yield lambda: None
        return
    if not acquired:
        raise RebuildRunning("another rebuild of this search index is running; wait for it to finish "
                             f"(a rebuild that died frees the lock within {LOCK_SECONDS:.0f} s)")
    renewed = [time.monotonic()]

    def keep_alive() -> None:
        if time.monotonic() - renewed[0] >= RENEW_EVERY:
            lock.reacquire()
            renewed[0] = time.monotonic()

    try:
        yield keep_alive
    finally:
        try:
            lock.release()
        except RedisError:  # expired or Redis gone: nothing left to free
            log.warning("the rebuild lock was already gone when the rebuild ended")
