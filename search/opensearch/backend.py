"""``OpenSearchBackend``: the ``SearchBackend`` protocol on an OpenSearch cluster.

One engine document per page (id ``<document_id>:<page>``), written through the alias
of a versioned index (see ``versions.py``). The bulk that writes a document refreshes the
shards it touched (``refresh=true``) before it returns, so a document the worker marks
``indexed`` is searchable at that moment, on every copy. Not ``wait_for``: that waits for
the next scheduled refresh (up to ``refresh_interval``, 1 s, of an idle worker per
document) and never returns for a version being loaded by a rebuild, whose refresh is off
until the swap; a worker finishes a few documents a second at most, so the extra
refreshes cost the cluster no more than its own schedule does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, TransportError

from search.base import TOTAL_CAP, IndexedDocument, SearchFilters, SearchQuery, SearchResult
from search.errors import DocumentRejected, SearchUnavailable
from search.opensearch import dsl, versions
from search.opensearch.bulk import PageAction, bulk_write
from search.opensearch.client import RetryPolicy, call, client_from_settings, policy_from_settings
from search.opensearch.mapping import LAYOUT, page_id, page_source
from search.query import parse_query, validate_paging
from sohoa.core.vocab import SearchSort

if TYPE_CHECKING:
    from sohoa.core.config import Settings

log = logging.getLogger(__name__)

ALIAS_MISSING = "index_not_found_exception"  # a write through an alias that does not exist


class OpenSearchBackend:
    name = "opensearch"

    def __init__(
        self,
        client: OpenSearch,
        index: str,
        *,
        policy: RetryPolicy | None = None,
        refresh: bool = True,
    ) -> None:
        self.client = client
        self.index = index
        self.policy = policy or RetryPolicy()
        self.refresh = refresh  # False: rely on the cluster's refresh interval (bulk jobs)
        self._alias_ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenSearchBackend:
        return cls(client_from_settings(settings), settings.opensearch_index, policy=policy_from_settings(settings))

    # -- writing ---------------------------------------------------------------------------

    def index_documents(self, documents: Iterable[IndexedDocument]) -> None:
        """Add or replace documents; raise ``DocumentRejected`` naming refused ones.

        Pages are written first, then pages beyond each document's new page count (and
        every page of a refused document) are deleted, so a search never sees a document
        with no pages and nothing is left half-indexed.
        """
        docs = list({doc.document_id: doc for doc in documents}.values())
        if not docs:
            return
        self._ensure_alias()
        targets, rejected = self._write(docs)
        if rejected and all(reason.get("type") == ALIAS_MISSING for reason in rejected.values()):
            # One backend serves a whole process: the alias it saw exists may have gone since
            # (an engine wiped or restored from an older snapshot). Create it again, once.
            log.warning("index alias %s is gone; creating it again", self.index)
            self._alias_ready = False
            self._ensure_alias()
            targets, rejected = self._write(docs)
        keep = [page_id(d.document_id, p.number) for d in docs if d.document_id not in rejected for p in d.pages]
        self._delete_where([d.document_id for d in docs], keep_ids=keep, targets=targets)
        if rejected:
            raise DocumentRejected(
                f"search engine refused {len(rejected)} document(s)",
                document_ids=sorted(rejected),
                reasons=rejected,
            )

    def _write(self, docs: list[IndexedDocument]) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """Every page of ``docs`` into the alias (and a version being rebuilt); refused ones."""
        targets = self._write_targets()
        actions = [
            PageAction(index, page_id(doc.document_id, page.number), doc.document_id,
                       page_source(doc, page), require_alias=(index == self.index))
            for index in targets
            for doc in docs
            for page in doc.pages
        ]
        return targets, bulk_write(self.client, actions, self.policy, refresh=self.refresh)

    def delete_document(self, document_id: str) -> None:
        """Remove every page of the document (a missing alias or document is not an error)."""
        self._delete_where([document_id], keep_ids=[], targets=self._write_targets())

    def rebuild(self, documents: Iterable[IndexedDocument]) -> int:
        """Load a new index version, swap the alias atomically, drop the old version.

        Searches keep using the old version until the swap; if loading fails the new
        version is deleted and the old one stays in service. Documents the engine
        refuses are skipped (and logged) rather than aborting.
        """
        old = versions.alias_targets(self.client, self.index, self.policy)
        new = versions.create_version(self.client, self.index, self.policy, loading=True)
        next_alias = versions.next_alias(self.index)
        try:
            versions.set_aliases(self.client, self.policy, [{"add": {"index": new, "alias": next_alias}}])
            counter = _Counter()
            actions = (PageAction(new, page_id(doc.document_id, page.number), doc.document_id, page_source(doc, page))
                       for doc in counter.count(documents) for page in doc.pages)
            rejected = bulk_write(self.client, actions, self.policy, refresh=False)
            if rejected:  # nothing half-written: drop the pages a refused document did get in
                self._delete_where(sorted(rejected), keep_ids=[], targets=[new])
            self._finish_loading(new)
            versions.swap(self.client, self.index, new, old, self.policy)
        except BaseException:
            try:
                versions.drop(self.client, [new], self.policy)
            except SearchUnavailable:  # keep the original error; the next rebuild drops it
                log.warning("could not delete half-loaded %s", new)
            raise
        stale = [name for name in versions.versions(self.client, self.index, self.policy) if name != new]
        versions.drop(self.client, stale, self.policy)
        self._alias_ready = True
        if rejected:
            log.warning("rebuild skipped %d refused document(s): %s", len(rejected), sorted(rejected)[:20])
        return counter.documents - len(rejected)

    # -- reading ---------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        parsed = parse_query(query.q)
        search_after = validate_paging(query)
        body = dsl.search_body(
            parsed, query.filters, size=query.size,
            offset=(query.page - 1) * query.size, search_after=search_after, facets=query.facets,
            by_issue_date=query.sort == SearchSort.ISSUE_DATE,
        )
        response = self._read("search", body)
        if response is None:  # no index yet
            return SearchResult(total=0, hits=[], facets=dsl.to_facets({}) if query.facets else None)
        hits = response["hits"]
        facets = dsl.to_facets(response.get("aggregations", {})) if query.facets else None
        total = int(hits["total"]["value"])
        capped = hits["total"].get("relation") == "gte"  # more match than ``TOTAL_CAP``
        return SearchResult(total=min(total, TOTAL_CAP), hits=[dsl.to_hit(h) for h in hits["hits"]],
                            facets=facets, total_is_capped=capped)

    def count(self, filters: SearchFilters | None = None) -> int:
        """Number of indexed pages matching the filters (a search without hits, so a lost
        shard is an error here too rather than a smaller number)."""
        body = {"query": {"bool": {"filter": dsl.filter_clauses(filters)}}, "size": 0, "track_total_hits": True}
        response = self._read("count", body)
        return 0 if response is None else int(response["hits"]["total"]["value"])

    def needs_rebuild(self) -> bool:
        """The alias serves a version of an older layout (``mapping.LAYOUT``: its pages carry
        their file's first record, not their part's), so only a rebuild gives every page its
        own part's names and facets. Fields added since are mapped in place (``versions.py``);
        an unreachable engine says no (the reconciler asks again on its next pass)."""
        try:
            found = versions.layout(self.client, self.index, RetryPolicy(attempts=1))
        except SearchUnavailable:
            return False
        return found is not None and found < LAYOUT

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except TransportError:
            return False

    def close(self) -> None:
        self.client.close()

    # -- internals -------------------------------------------------------------------------

    def _ensure_alias(self) -> None:
        if not self._alias_ready:
            versions.ensure_alias(self.client, self.index, self.policy)
            self._alias_ready = True

    def _write_targets(self) -> list[str]:
        """The alias, plus the version being rebuilt (concrete name) if a rebuild is running."""
        building = versions.alias_targets(self.client, versions.next_alias(self.index), self.policy)
        return [self.index, *[name for name in building if name]]

    def _delete_where(self, document_ids: list[str], *, keep_ids: list[str], targets: list[str]) -> None:
        query: dict[str, Any] = {"bool": {"filter": [{"terms": {"document_id": document_ids}}]}}
        if keep_ids:
            query["bool"]["must_not"] = [{"ids": {"values": keep_ids}}]
        for target in targets:
            call(self.policy, "delete by query", partial(
                self.client.delete_by_query, index=target, body={"query": query}, conflicts="proceed",
                refresh=self.refresh, ignore=[404]))

    def _finish_loading(self, name: str) -> None:
        call(self.policy, "index settings", lambda: self.client.indices.put_settings(
            index=name, body=versions.SERVING_SETTINGS))
        call(self.policy, "refresh", lambda: self.client.indices.refresh(index=name))

    def _read(self, what: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """A search with retries; ``None`` when the alias does not exist yet (empty index).

        ``allow_partial_search_results=false``: when every copy of a shard is gone (a node
        lost with no replica yet), the engine answers 503, which is retried and then becomes
        ``SearchUnavailable``, instead of a 200 without that shard's pages: an officer must
        never read "no record" when the record is on the missing shard.
        """
        try:
            return call(self.policy, what, partial(
                self.client.search, index=self.index, body=body, allow_partial_search_results=False))
        except NotFoundError:
            return None


class _Counter:
    """Counts documents as a generator streams them into bulk requests."""

    def __init__(self) -> None:
        self.documents = 0

    def count(self, documents: Iterable[IndexedDocument]) -> Iterator[IndexedDocument]:
        for doc in documents:
            self.documents += 1
            yield doc
