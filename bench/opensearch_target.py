"""The OpenSearch a benchmark measures, and nothing of the run left in it afterwards.

A real node started for the run from ``tests/opensearch_node`` with the full JIT (speed is
what is measured; the test suite's fast-startup JIT would understate it), or an existing
cluster given by URL. Either way the run writes under its own ``bench-<random>`` index name,
and every index version and the index template under that name are deleted when it ends
(``tests/integration/opensearch_support.drop_all``, the tests' own clean-up), so runs
against a shared cluster do not pile up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from search.opensearch import OpenSearchBackend, make_client
from tests import opensearch_node as osn
from tests.integration.opensearch_support import drop_all


@contextmanager
def opensearch_backend(url: str | None, home: Path, heap: str = "1g") -> Iterator[OpenSearchBackend]:
    """A backend on ``url``, or on a node started in ``home`` with ``heap`` and stopped at the end."""
    node = None
    if url is None:
        osn.build()
        node = osn.start_node(home, heap=heap, fast_startup=False, timeout=300)
        url = node.url
    backend = OpenSearchBackend(make_client(url, verify_certs=False, timeout=120), f"bench-{uuid.uuid4().hex[:8]}")
    try:
        yield backend
    finally:
        drop_all(backend)
        if node is not None:
            node.stop()
