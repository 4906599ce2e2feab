"""Helpers of the OpenSearch tests: backends on uuid-named aliases (each dropped afterwards)
and a fault-injecting proxy. The fixtures built on them (the session's real node) live in
``tests/integration/conftest.py``. The benchmarks drop what they wrote with ``drop_all`` too
(``bench/opensearch_target.py``): one place knows what an alias leaves on a cluster.

``SOHOA_TEST_OPENSEARCH_URL`` (e.g. ``https://admin:secret@localhost:9200``; certificates
are not verified) runs the same tests against an external cluster instead of the node the
suite starts.

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
from tests import opensearch_node as osn

EXTERNAL_URL = os.environ.get("SOHOA_TEST_OPENSEARCH_URL")
FAST_RETRY = RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.05)


def build_node_or_fail() -> None:
    """The node launcher, built once (cached under ``.cache/``); no JDK or Maven fails the
    test that wanted a node, with what to do, rather than skipping it."""
    try:
        osn.build()
    except osn.BuildError as err:
        pytest.fail(f"the OpenSearch test node did not build (make test installs a JDK and Maven): {err}")


def make_backend(url: str, index: str | None = None, policy: RetryPolicy = FAST_RETRY) -> OpenSearchBackend:
    return OpenSearchBackend(make_client(url, verify_certs=False), index or f"test-{uuid.uuid4().hex}", policy=policy)


def drop_indices(backend: OpenSearchBackend) -> None:
    """Every version of the backend's alias (closed or hidden ones too: the aliases go with
    them) and its index template, so nothing of a test or a benchmark run stays behind."""
    backend.client.indices.delete(index=f"{backend.index}-*", ignore=[404], expand_wildcards="all")
    backend.client.indices.delete_index_template(name=backend.index, ignore=[404])


def drop_all(backend: OpenSearchBackend) -> None:
    """``drop_indices``, then the client closed: the end of a backend the caller made."""
    drop_indices(backend)
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
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        self._reply(resp.status, resp.read(), resp.headers.get("Content-Type"),
                                    resp.headers.get("Content-Encoding"))
                except urllib.error.HTTPError as err:
                    self._reply(err.code, err.read(), err.headers.get("Content-Type"),
                                err.headers.get("Content-Encoding"))

            def _reply(self, status: int, payload: bytes, ctype: str | None = "application/json",
                       encoding: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype or "application/json")
                if encoding:  # the client asks for gzip (http_compress): the body passes through as is
                    self.send_header("Content-Encoding", encoding)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        return Handler
