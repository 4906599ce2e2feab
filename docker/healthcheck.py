"""Container healthchecks for the compose stack: ``python healthcheck.py api|worker|reconciler``.

Exit status 0 = healthy, 1 = unhealthy (what Docker's HEALTHCHECK expects). The image has no
curl, so the checks are small Python programs; they read the same ``SOHOA_`` settings as the
service they check, so a check can never look at a different Redis or port than the service.
"""

from __future__ import annotations

import socket
import sys
import urllib.request


def api_healthy(port: int, timeout: float = 5.0) -> bool:
    """/healthz answers 200 only when database, Redis and search all answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as resp:
            return resp.status == 200
    except OSError:  # URLError, HTTPError (503) and timeouts are all OSError
        return False


def worker_healthy(redis_url: str, queue_name: str, hostname: str | None = None) -> bool:
    """An RQ worker of this container is registered on our queue with a live heartbeat key.

    RQ drops a worker's key when its heartbeat TTL lapses, so a hung or dead worker
    disappears from ``Worker.all`` even though the container is still running.
    """
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, Worker

    host = hostname or socket.gethostname()
    try:
        conn = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
        workers = Worker.all(queue=Queue(queue_name, connection=conn))
    except RedisError:
        return False
    return any(w.hostname == host for w in workers)


def backing_services_healthy(database_url: str, redis_url: str) -> bool:
    """The reconciler's loop holds no port to probe; what it needs is the database and Redis.

    A pass that crashes ends ``sohoa reconcile`` and ``restart: unless-stopped`` brings it back,
    so reachability of both is what tells an operator whether its passes can succeed.
    """
    from redis import Redis
    from redis.exceptions import RedisError
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5).ping()
    except RedisError:
        return False
    engine = create_engine(database_url, pool_pre_ping=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return True


def main(argv: list[str]) -> int:
    role = argv[1] if len(argv) > 1 else "api"
    from sohoa.core.config import Settings

    settings = Settings()
    if role == "api":
        return 0 if api_healthy(settings.port) else 1
    if role == "worker":
        return 0 if worker_healthy(settings.redis_url, settings.queue_name) else 1
    if role == "reconciler":
        return 0 if backing_services_healthy(settings.database_url, settings.redis_url) else 1
    print(f"unknown role {role!r}: expected api, worker or reconciler", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
