"""Helpers of the OpenSearch tests: which engines they run on, backends on uuid-named
aliases (each dropped afterwards), and a fault-injecting proxy. The fixtures built on them
live in ``tests/integration/conftest.py``.

``FaultProxy`` sits between the client and the engine to inject HTTP errors we cannot
provoke on a healthy server (a throttling or restarting cluster).
"""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from search.opensearch import OpenSearchBackend, RetryPolicy, make_client

REAL_URL = os.environ.get("SOHOA_TEST_OPENSEARCH_URL")
ENGINES = [
    "osmem",
    pytest.param("real", marks=pytest.mark.skipif(not REAL_URL, reason="SOHOA_TEST_OPENSEARCH_URL not set")),
]
FAST_RETRY = RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.05)


def make_backend(url: str, index: str | None = None, policy: RetryPolicy = FAST_RETRY) -> OpenSearchBackend:
    return OpenSearchBackend(make_client(url, verify_certs=False), index or f"test-{uuid.uuid4().hex}", policy=policy)


def drop_all(backend: OpenSearchBackend) -> None:
    backend.client.indices.delete(index=f"{backend.index}-*", ignore=[404], expand_wildcards="all")
    backend.client.indices.delete_index_template(name=backend.index, ignore=[404])
    backend.close()


class FaultProxy:
    """A loopback HTTP proxy that answers the next requests with given statuses.

    ``fail(503, 503)`` makes the next two requests get 503 without reaching the engine;
    ``down = True`` closes connections without an answer, like a node going away.
    """

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.faults: list[int] = []
        self.down = False
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail(self, *statuses: int) -> None:
        self.faults.extend(statuses)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _any(self) -> None:
                proxy.requests.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.down:
                    self.close_connection = True
                    return
                if proxy.faults:
                    self._reply(proxy.faults.pop(0), b'{"error":{"type":"injected","reason":"fault"},"status":503}')
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}}
                req = urllib.request.Request(proxy.target + self.path, data=body, method=self.command, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        self._reply(resp.status, resp.read(), resp.headers.get("Content-Type"))
                except urllib.error.HTTPError as err:
                    self._reply(err.code, err.read(), err.headers.get("Content-Type"))

            def _reply(self, status: int, payload: bytes, ctype: str | None = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype or "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        return Handler
