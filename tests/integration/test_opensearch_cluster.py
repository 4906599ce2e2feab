"""The OpenSearch backend on a real three-node cluster (one JVM per node, all three
cluster-manager-eligible data nodes), reached as production reaches one: every node's URL in
``SOHOA_OPENSEARCH_URL``, separated by commas; the index has one primary and one replica.

- The node holding the primary is killed (SIGKILL of its JVM) mid-ingest: every document
  ends indexed, each page is in the engine once, searches keep answering with every page
  acknowledged so far; the node comes back, the cluster returns to green, and its copy holds
  what was written while it was away.
- The elected cluster manager is killed: the others elect one, the backend keeps serving;
  an index that lost a shard with it (no replica) makes searches fail, never answer short.
- A rebuild swaps the alias while queries run: no errors, no empty or short results.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import select, update

from search.base import IndexedDocument, IndexedPage, SearchQuery
from search.errors import SearchUnavailable
from search.opensearch import OpenSearchBackend, RetryPolicy, make_client
from search.opensearch.mapping import ASCII_SETTINGS, INDEX_MAPPINGS
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import migrate, session_scope
from sohoa.core.models import Document
from sohoa.core.vocab import DocumentStatus, IndexState
from sohoa.services import Services
from tests import opensearch_node as osn
from tests.integration.opensearch_support import build_node_or_fail, drop_all
from tests.records_support import add_document
from workers.jobs.indexing import index_with_state
from workers.jobs.reconciler import reconcile_once

QUERY = "ho so kiem thu cum"  # on every page of the ingest below


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[osn.Cluster]:
    build_node_or_fail()
    with osn.ram_dir("sohoa-test-cluster-") as data:
        nodes = osn.start_cluster(tmp_path_factory.mktemp("cluster"), n=3, data_root=data)
        yield nodes
        nodes.stop()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the cluster is what is under test here, not the database."""
    url = f"sqlite:///{tmp_path / 'sohoa.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture
def settings(settings: Settings, cluster: osn.Cluster) -> Settings:
    """What a worker of a cluster deployment reads: every node, a production-like patience
    (six tries, 0.2 s doubling: a few seconds, enough for a replica to be promoted)."""
    return settings.model_copy(update={
        "search_backend": "opensearch",
        "opensearch_url": ", ".join(cluster.urls),
        "opensearch_index": f"cluster-{uuid.uuid4().hex[:12]}",
        "opensearch_retries": 6,
        "opensearch_backoff_seconds": 0.2,
        "opensearch_timeout_seconds": 30,
    })


@pytest.fixture
def backend(services: Services, cluster: osn.Cluster) -> Iterator[OpenSearchBackend]:
    """The process's backend (``Services.search``); the cluster is green again afterwards."""
    b = services.search
    assert isinstance(b, OpenSearchBackend)
    yield b
    for node in cluster:
        if not node.running:
            node.start()
    drop_all(b)
    cluster.wait_for_status("green", nodes=3, timeout=120)


def page_text(i: int, page: int) -> str:
    return f"Trang {page}: hồ sơ kiểm thử cụm, mã HS{i:04d}-{page}, người nộp Nguyễn Văn Số {i}"


def add_processed(services: Services, count: int) -> dict[str, int]:
    """``count`` documents whose OCR is done and whose index is pending: {id: pages}."""
    made: dict[str, int] = {}
    with session_scope(services.sessions) as session:
        for i in range(count):
            pages = 1 + i % 3
            doc_id = add_document(session, [page_text(i, n) for n in range(1, pages + 1)])
            made[doc_id] = pages
        session.execute(update(Document).where(Document.id.in_(made)).values(
            status=DocumentStatus.PROCESSING, processed_at=utcnow(), index_state=IndexState.PENDING))
    return made


def shard_copies(client: OpenSearch, index: str) -> list[dict[str, str]]:
    return list(client.cat.shards(index=f"{index}-v*", format="json", h="index,shard,prirep,state,node"))


def engine_page_ids(client: OpenSearch, index: str) -> list[str]:
    """Every page id behind the alias (with duplicates, were there any: a list, not a set)."""
    found = client.search(index=index, body={"query": {"match_all": {}}, "size": 10_000, "_source": False})
    return sorted(hit["_id"] for hit in found["hits"]["hits"])


def expected_page_ids(documents: dict[str, int]) -> list[str]:
    return sorted(f"{doc_id}:{n}" for doc_id, pages in documents.items() for n in range(1, pages + 1))


@dataclass
class Readers:
    """Threads searching as officers do while something happens to the cluster. Each search
    records how many pages were acknowledged before it started and the total it got."""

    backend: OpenSearchBackend
    acknowledged: list[int] = field(default_factory=lambda: [0])  # pages; [0] to share it
    results: list[tuple[float, int, int]] = field(default_factory=list)  # (started, acknowledged, total)
    errors: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, n: int = 1) -> Readers:
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(n)]
        for thread in self.threads:
            thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.is_set():
            started, before = time.monotonic(), self.acknowledged[0]
            try:
                total = self.backend.search(SearchQuery(q=QUERY, size=5)).total
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                self.errors.append(exc)
                continue
            self.results.append((started, before, total))

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_ingest_survives_the_node_with_the_primary_being_killed(
        services: Services, backend: OpenSearchBackend, cluster: osn.Cluster) -> None:
    documents = add_processed(services, 150)
    ids = list(documents)
    assert index_with_state(services, ids[0]) == IndexState.INDEXED  # creates the index
    cluster.wait_for_status("green", nodes=3)
    copies = shard_copies(backend.client, backend.index)
    assert sorted(c["prirep"] for c in copies) == ["p", "r"]  # one primary, one replica
    victim = next(node for node in cluster if node.name == next(c["node"] for c in copies if c["prirep"] == "p"))

    readers = Readers(backend, acknowledged=[documents[ids[0]]]).start()
    todo = iter(ids[1:])
    lock = threading.Lock()
    states: dict[str, IndexState] = {}

    def worker() -> None:  # as a worker process does: one document after another
        while True:
            with lock:
                doc_id = next(todo, None)
            if doc_id is None:
                return
            state = index_with_state(services, doc_id)
            with lock:
                states[doc_id] = state
                if state == IndexState.INDEXED:
                    readers.acknowledged[0] += documents[doc_id]

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    while len(states) < len(ids) // 3 and any(t.is_alive() for t in workers):
        time.sleep(0.01)
    victim.kill()
    killed_at, killed_after = time.monotonic(), len(states)
    for thread in workers:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in workers)
    ingest_done_at = time.monotonic()
    for _ in range(10):  # what an outage left pending, the reconciler indexes
        if reconcile_once(services)["index_pending"] == 0:
            break
        time.sleep(1)
    time.sleep(0.5)  # a few searches more after the last write
    readers.finish()

    assert killed_after < len(ids) - 20, "the node died too late to matter"
    with session_scope(services.sessions) as session:
        rows = session.execute(select(Document.status, Document.index_state).where(Document.id.in_(ids))).all()
    assert {tuple(row) for row in rows} == {(DocumentStatus.INDEXED, IndexState.INDEXED)} and len(rows) == len(ids)
    assert engine_page_ids(backend.client, backend.index) == expected_page_ids(documents)  # once each
    assert not readers.errors, readers.errors[:3]
    assert sum(killed_at < started < ingest_done_at for started, _, _ in readers.results) >= 5
    short = [(before, total) for _, before, total in readers.results if total < before]
    assert not short, f"searches missed acknowledged pages: {short[:5]}"
    assert backend.search(SearchQuery(q=QUERY)).total == sum(documents.values())

    victim.start()
    health = cluster.wait_for_status("green", nodes=3, timeout=120)
    assert health["unassigned_shards"] == 0
    copies = shard_copies(backend.client, backend.index)
    assert sorted(c["prirep"] for c in copies) == ["p", "r"] and {c["state"] for c in copies} == {"STARTED"}
    for copy in copies:  # each copy on its own node holds every page, the one that came back too
        node = next(n for n in cluster if n.name == copy["node"])
        local = make_client(node.url)
        try:
            found = local.search(index=backend.index, preference="_only_local",
                                 body={"size": 0, "track_total_hits": True, "query": {"match_all": {}}})
            assert found["hits"]["total"]["value"] == sum(documents.values()), copy
        finally:
            local.close()


def test_losing_the_cluster_manager_keeps_the_replicated_index_serving_and_a_lost_shard_is_an_error(
        services: Services, backend: OpenSearchBackend, cluster: osn.Cluster) -> None:
    backend.index_documents([IndexedDocument(f"d-{i}", [IndexedPage(1, page_text(i, 1))]) for i in range(30)])
    # Beside it, an index of three primaries and no replica behind an alias of its own: the
    # cluster spreads them one per node, so the cluster manager takes one down with it.
    lone = OpenSearchBackend(backend.client, f"{backend.index}-lone", policy=RetryPolicy(2, initial_backoff=0.05))
    backend.client.indices.create(index=f"{lone.index}-v1", body={
        "settings": {**ASCII_SETTINGS, "number_of_shards": 3, "number_of_replicas": 0},
        "mappings": INDEX_MAPPINGS, "aliases": {lone.index: {}}})
    lone.index_documents([IndexedDocument(f"l-{i}", [IndexedPage(1, page_text(i, 1))]) for i in range(30)])
    cluster.wait_for_status("green", nodes=3)
    manager = backend.client.cat.cluster_manager(format="json")[0]["node"]
    lone_nodes = {c["node"] for c in shard_copies(backend.client, lone.index)}
    assert lone_nodes == {node.name for node in cluster}, "expected one shard of the lone index per node"
    victim = next(node for node in cluster if node.name == manager)

    victim.kill()
    assert backend.search(SearchQuery(q=QUERY, size=100)).total == 30  # the other copy answers
    backend.index_documents([IndexedDocument("d-while-down", [IndexedPage(1, "Lê Minh Đạo, hồ sơ kiểm thử cụm")])])
    assert [h.document_id for h in backend.search(SearchQuery(q="le minh dao")).hits] == ["d-while-down"]
    with pytest.raises(SearchUnavailable):  # not 20 of 30 pages, silently
        lone.search(SearchQuery(q=QUERY, size=100))
    with pytest.raises(SearchUnavailable):
        lone.count()
    survivors = [node for node in cluster if node.running]
    assert backend.client.cat.cluster_manager(format="json")[0]["node"] in {n.name for n in survivors}

    victim.start()
    cluster.wait_for_status("green", nodes=3, timeout=120)
    assert lone.search(SearchQuery(q=QUERY, size=100)).total == 30
    assert backend.count() == 31
    backend.client.indices.delete(index=f"{lone.index}-v1")


def test_rebuild_swaps_the_alias_while_queries_run(backend: OpenSearchBackend, cluster: osn.Cluster) -> None:
    documents = [IndexedDocument(f"d-{i:03d}", [IndexedPage(n, page_text(i, n)) for n in range(1, 3)])
                 for i in range(200)]
    backend.index_documents(documents)
    cluster.wait_for_status("green", nodes=3)
    readers = Readers(backend, acknowledged=[400]).start(n=2)
    try:
        for _ in range(3):
            assert backend.rebuild(iter(documents)) == 200
            cluster.wait_for_status("green", nodes=3)  # the new version's replica allocated too
    finally:
        time.sleep(0.3)
        readers.finish()
    assert not readers.errors, readers.errors[:3]
    assert len(readers.results) > 20
    assert {total for _, _, total in readers.results} == {400}
    aliased = backend.client.indices.get_alias(name=backend.index)
    assert list(aliased) == [f"{backend.index}-v4"]
