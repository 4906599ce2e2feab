"""OpenSearch-only behaviour: strict mapping, analyzers, alias swap, retries, refusals."""

from __future__ import annotations

import copy
import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from opensearchpy.exceptions import RequestError

from search.base import IndexedDocument, IndexedPage, SearchQuery
from search.errors import DocumentRejected, SearchUnavailable
from search.opensearch import OpenSearchBackend, RetryPolicy
from search.opensearch.mapping import ASCII_SETTINGS, INDEX_MAPPINGS, LAYOUT
from search.opensearch.versions import alias_targets, next_alias, versions
from sohoa.domain.vntext import fold
from tests.integration.conformance.parts import stack
from tests.integration.opensearch_support import FaultProxy, drop_all, make_backend
from tests.ports import free_port

VIETNAMESE_LETTERS = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"


def doc(document_id: str, *texts: str, **meta: Any) -> IndexedDocument:
    return IndexedDocument(document_id, [IndexedPage(i, t) for i, t in enumerate(texts, start=1)], **meta)


def hits(b: OpenSearchBackend, q: str) -> list[str]:
    return [h.document_id for h in b.search(SearchQuery(q=q, size=100)).hits]


# -- mapping and analysis ------------------------------------------------------------------


def test_first_write_creates_version_one_behind_the_alias(backend: OpenSearchBackend) -> None:
    backend.index_documents([doc("d-1", "một")])
    assert alias_targets(backend.client, backend.index, backend.policy) == [f"{backend.index}-v1"]
    mapping = backend.client.indices.get_mapping(index=backend.index)[f"{backend.index}-v1"]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["text"]["index_options"] == "offsets"
    assert mapping["properties"]["text"]["fields"]["exact"]["analyzer"] == "vi_exact"
    assert mapping["properties"]["document_id"]["type"] == "keyword"
    assert mapping["properties"]["uploaded_at"]["type"] == "date"


def test_a_backend_kept_for_the_whole_process_survives_its_alias_being_wiped(backend: OpenSearchBackend) -> None:
    """One backend serves a process (``Services``): it remembers that its alias exists. After
    the engine lost it (wiped, restored from an older snapshot), the next write creates it
    again instead of refusing the document for good."""
    backend.index_documents([doc("d-1", "Lò Văn Trước")])
    backend.client.indices.delete(index=f"{backend.index}-*", expand_wildcards="all")
    backend.index_documents([doc("d-2", "Lò Thị Sau")])
    assert hits(backend, "lo thi sau") == ["d-2"]
    assert hits(backend, "lo van truoc") == []  # gone with the engine's data: the reconciler's reindex brings it back


def test_an_index_of_the_first_mapping_gets_the_facet_fields_on_first_write(backend: OpenSearchBackend) -> None:
    """An alias made before facets existed (strict mapping without issue_date and
    needs_review): the first write of a new process adds the fields instead of the engine
    refusing every document for good."""
    old = {**INDEX_MAPPINGS, "properties": {k: v for k, v in INDEX_MAPPINGS["properties"].items()
                                            if k not in ("issue_date", "needs_review")}}
    backend.client.indices.create(index=f"{backend.index}-v1", body={"settings": ASCII_SETTINGS, "mappings": old})
    backend.client.indices.update_aliases(body={"actions": [{"add": {"index": f"{backend.index}-v1",
                                                                     "alias": backend.index}}]})
    backend.index_documents([IndexedDocument("d-1", [IndexedPage(1, "hồ sơ", needs_review=True)],
                                             issue_date=date(2022, 3, 4))])
    result = backend.search(SearchQuery(q="ho so", facets=True))
    assert result.total == 1 and result.facets is not None
    assert [(b.value, b.count) for b in result.facets["issue_year"]] == [("2022", 1)]
    assert [(b.value, b.count) for b in result.facets["needs_review"]] == [("true", 1)]


def test_unknown_field_is_rejected_by_strict_mapping(backend: OpenSearchBackend) -> None:
    backend.index_documents([doc("d-1", "một")])
    with pytest.raises(RequestError) as err:
        backend.client.index(index=backend.index, id="x:1", body={"document_id": "x", "page": 1, "surprise": 1})
    assert err.value.error == "strict_dynamic_mapping_exception"


@pytest.fixture(params=["icu", "stock"])
def either_backend(request: pytest.FixtureRequest) -> Iterator[OpenSearchBackend]:
    """A backend on the session's node (with analysis-icu), then on one without the plugin."""
    url = request.getfixturevalue("opensearch_url" if request.param == "icu" else "stock_opensearch_url")
    b = make_backend(url)
    yield b
    drop_all(b)


def analyze(b: OpenSearchBackend, analyzer: str, text: str) -> list[tuple[int, str]]:
    """(position, token) of the index's analyzer, in the engine's order."""
    found = b.client.indices.analyze(index=b.index, body={"analyzer": analyzer, "text": text})
    return [(t["position"], t["token"]) for t in found["tokens"]]


def test_folding_analyzer_maps_d_with_stroke_and_keeps_the_original(either_backend: OpenSearchBackend) -> None:
    backend = either_backend
    backend.index_documents([doc("d-1", "một")])
    tokens = set(analyze(backend, "vi_folded", "Đặng Đức 123/QĐ-UBND"))
    assert {(0, "dang"), (0, "đặng"), (1, "duc"), (1, "đức")} <= tokens
    assert {(2, "123"), (3, "qd"), (3, "qđ"), (4, "ubnd")} <= tokens  # "/" and "-" separate words
    assert analyze(backend, "vi_exact", "Đặng") == [(0, "đặng")]


def test_the_engine_folds_every_vietnamese_letter_as_the_embedded_index_does(
        either_backend: OpenSearchBackend) -> None:
    """Both variants of the template (ICU and asciifolding) against ``vntext.fold``, which the
    SQLite backend and query parsing use: one letter per word, lower and upper case."""
    backend = either_backend
    backend.index_documents([doc("d-1", "một")])
    letters = list(VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper())
    folded: dict[int, set[str]] = {}
    for position, token in analyze(backend, "vi_folded", " ".join(letters)):
        folded.setdefault(position, set()).add(token)
    assert folded == {i: {ch.lower(), fold(ch.lower())} for i, ch in enumerate(letters)}
    exact = analyze(backend, "vi_exact", " ".join(letters))
    assert exact == [(i, ch.lower()) for i, ch in enumerate(letters)]


def test_with_the_icu_plugin_the_engine_composes_and_normalizes_text_itself(backend: OpenSearchBackend) -> None:
    """sohoa sends NFC text, but text written by other means need not be: with ICU, the
    engine composes decomposed marks (else a combining mark would cut ``Trần`` in two) and
    folds compatibility forms (full-width digits, OCR's ``ﬁ`` ligature)."""
    backend.index_documents([doc("d-1", "một")])
    template = backend.client.indices.get_index_template(name=backend.index)["index_templates"][0]
    assert template["index_template"]["_meta"]["analysis"] == "icu"
    decomposed = unicodedata.normalize("NFD", "Trần Ánh")
    assert set(analyze(backend, "vi_folded", decomposed)) == {(0, "trần"), (0, "tran"), (1, "ánh"), (1, "anh")}
    assert analyze(backend, "vi_exact", "ＨÀ １２３ ﬁle") == [(0, "hà"), (1, "123"), (2, "file")]
    backend.client.index(index=backend.index, id="raw:1", refresh=True,
                         body={"document_id": "raw", "page": 1, "text": decomposed})
    assert hits(backend, "Trần Ánh") == ["raw"]


def test_without_the_icu_plugin_the_template_falls_back_to_asciifolding(
        stock_opensearch_url: str, caplog: pytest.LogCaptureFixture) -> None:
    b = make_backend(stock_opensearch_url)
    try:
        with caplog.at_level(logging.WARNING, logger="search.opensearch.versions"):
            b.index_documents([doc("d-1", "Ông Đặng Văn Đức"), doc("d-2", "Ông Dang Van Duc")])
        assert "refused the analysis-icu filters" in caplog.text and "asciifolding only" in caplog.text
        template = b.client.indices.get_index_template(name=b.index)["index_templates"][0]
        assert template["index_template"]["_meta"]["analysis"] == "asciifolding"
        settings = b.client.indices.get_settings(index=b.index)[f"{b.index}-v1"]["settings"]["index"]["analysis"]
        assert settings["filter"]["vi_fold"]["type"] == "asciifolding"
        assert hits(b, "Đức") == ["d-1", "d-2"] and hits(b, "duc") == ["d-2", "d-1"]
    finally:
        drop_all(b)


def test_text_is_stored_with_canonical_tones_in_nfc(backend: OpenSearchBackend) -> None:
    backend.index_documents([doc("d-1", "Hoa\u0300 Bi\u0300nh khoẻ")])  # decomposed, old-style
    source = backend.client.get(index=backend.index, id="d-1:1")["_source"]
    assert source["text"] == "Hòa Bình khỏe"


# -- permanent refusals --------------------------------------------------------------------


def test_mapping_error_rejects_only_that_document_and_leaves_none_of_it(backend: OpenSearchBackend) -> None:
    good = doc("d-good", "Nguyễn Văn Tốt")
    not_a_number = IndexedPage("hai", "trang hai")  # type: ignore[arg-type]  # on purpose: the mapping refuses it
    bad = IndexedDocument("d-bad", [IndexedPage(1, "trang một Lỗi"), not_a_number])
    with pytest.raises(DocumentRejected) as err:
        backend.index_documents([good, bad])
    assert err.value.document_ids == ["d-bad"]
    assert err.value.code == "index_rejected"
    assert err.value.reasons["d-bad"]["type"] == "mapper_parsing_exception"
    assert hits(backend, "tot") == ["d-good"]
    assert hits(backend, "loi") == []  # page 1 of the refused document was removed again
    assert backend.count() == 1


def _older_version(backend: OpenSearchBackend, change: Callable[[dict[str, Any]], None]) -> None:
    """v1 behind the alias as an older sohoa left it: today's mapping with ``change`` applied."""
    mappings = copy.deepcopy(INDEX_MAPPINGS)
    change(mappings["properties"])
    backend.client.indices.create(index=f"{backend.index}-v1", body={
        "settings": ASCII_SETTINGS, "mappings": mappings, "aliases": {backend.index: {}}})


def test_a_version_made_by_an_older_release_gets_the_fields_added_since(backend: OpenSearchBackend) -> None:
    _older_version(backend, lambda fields: fields.pop("legal_status"))
    backend.index_documents([doc("d-1", "Giấy phép của Lưu Văn Mới", legal_status="revoked")])  # strict: else refused
    mapping = backend.client.indices.get_mapping(index=backend.index)[f"{backend.index}-v1"]["mappings"]
    assert mapping["properties"]["legal_status"] == {"type": "keyword"}
    assert hits(backend, "luu van moi") == ["d-1"]


def test_a_conflicting_older_mapping_is_reported_and_writing_goes_on(
        backend: OpenSearchBackend, caplog: pytest.LogCaptureFixture) -> None:
    _older_version(backend, lambda fields: fields.update(doc_type={"type": "text"}))
    with caplog.at_level(logging.ERROR, logger="search.opensearch.versions"):
        backend.index_documents([doc("d-1", "Căn cước của Tôn Nữ Xung", doc_type="cccd")])
    assert "conflicts with this version of sohoa" in caplog.text and "sohoa reindex" in caplog.text
    assert hits(backend, "ton nu xung") == ["d-1"]
    assert backend.rebuild([doc("d-1", "Căn cước của Tôn Nữ Xung", doc_type="cccd")]) == 1  # what the log says
    mapping = backend.client.indices.get_mapping(index=backend.index)[f"{backend.index}-v2"]["mappings"]
    assert mapping["properties"]["doc_type"] == {"type": "keyword"}


def test_a_version_whose_pages_carry_their_files_first_record_is_rebuilt(backend: OpenSearchBackend) -> None:
    """A version made before pages carried their own part's record (no layout in its mapping):
    ``needs_rebuild`` says so (the reconciler then rebuilds, as for an outdated embedded
    index) while it keeps serving and taking writes; the rebuilt version does not."""
    assert backend.needs_rebuild() is False  # no alias yet: nothing to rebuild
    _older_version(backend, lambda fields: None)
    assert backend.needs_rebuild() is True
    backend.index_documents([stack()])
    assert [h.page for h in backend.search(SearchQuery(q="kieu quoc khai")).hits] == [3]
    assert backend.rebuild([stack()]) == 1
    assert backend.needs_rebuild() is False
    mapping = backend.client.indices.get_mapping(index=backend.index)
    assert [m["mappings"]["_meta"] for m in mapping.values()] == [{"sohoa_layout": LAYOUT}]
    assert [h.page for h in backend.search(SearchQuery(q="kieu quoc khai")).hits] == [3]


# -- versions and the alias swap -----------------------------------------------------------


def test_rebuild_serves_old_version_until_the_swap_and_keeps_live_writes(backend: OpenSearchBackend) -> None:
    backend.index_documents([doc("d-old", "bản cũ Lê Cũ")])
    seen_during: dict[str, object] = {}

    def source() -> Iterator[IndexedDocument]:
        yield doc("d-new", "bản mới Lê Mới")
        # Mid-rebuild: searches still hit v1, and a worker indexes a document.
        seen_during["old"] = hits(backend, "le cu")
        seen_during["new"] = hits(backend, "le moi")
        seen_during["alias"] = alias_targets(backend.client, backend.index, backend.policy)
        seen_during["next"] = alias_targets(backend.client, next_alias(backend.index), backend.policy)
        backend.index_documents([doc("d-live", "Lê Sống")])
        yield doc("d-new2", "Lê Hai")

    assert backend.rebuild(source()) == 2
    assert seen_during == {
        "old": ["d-old"], "new": [], "alias": [f"{backend.index}-v1"], "next": [f"{backend.index}-v2"],
    }
    assert hits(backend, "le moi") == ["d-new"]
    assert hits(backend, "le cu") == []
    assert hits(backend, "le song") == ["d-live"]  # written to both versions during the load
    assert alias_targets(backend.client, backend.index, backend.policy) == [f"{backend.index}-v2"]
    assert alias_targets(backend.client, next_alias(backend.index), backend.policy) == []
    assert list(versions(backend.client, backend.index, backend.policy)) == [f"{backend.index}-v2"]


def test_failed_rebuild_keeps_the_old_version_in_service(backend: OpenSearchBackend) -> None:
    backend.index_documents([doc("d-old", "Phan Cũ")])

    def broken() -> Iterator[IndexedDocument]:
        yield doc("d-new", "Phan Mới")
        raise OSError("archive unreadable")

    with pytest.raises(OSError):
        backend.rebuild(broken())
    assert hits(backend, "phan cu") == ["d-old"]
    assert list(versions(backend.client, backend.index, backend.policy)) == [f"{backend.index}-v1"]
    assert alias_targets(backend.client, next_alias(backend.index), backend.policy) == []


def test_searches_keep_answering_while_a_rebuild_runs(backend: OpenSearchBackend) -> None:
    backend.index_documents([doc(f"d-{i}", f"Võ Thị {i}") for i in range(20)])
    stop = threading.Event()
    totals: list[int] = []

    def reader() -> None:
        while not stop.is_set():
            totals.append(backend.search(SearchQuery(q="vo thi")).total)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(3):
            backend.rebuild(doc(f"d-{i}", f"Võ Thị {i}") for i in range(20))
    finally:
        stop.set()
        thread.join()
    assert totals and set(totals) == {20}


# -- transient failures --------------------------------------------------------------------


@pytest.fixture
def proxy(opensearch_url) -> Iterator[FaultProxy]:
    p = FaultProxy(opensearch_url)
    yield p
    p.close()


def test_transient_5xx_and_429_are_retried_with_backoff(proxy: FaultProxy) -> None:
    b = make_backend(proxy.url, policy=RetryPolicy(attempts=4, initial_backoff=0.05, max_backoff=1))
    try:
        b.index_documents([doc("d-0", "khởi tạo")])
        proxy.fail(503, 429, 502)
        started = time.monotonic()
        b.index_documents([doc("d-1", "Đinh Văn Bền")])
        elapsed = time.monotonic() - started
        assert hits(b, "dinh van ben") == ["d-1"]
        assert elapsed >= 0.025 + 0.05 + 0.1  # jittered backoff: at least half of 0.05, 0.1, 0.2
    finally:
        drop_all(b)


def test_faults_beyond_the_retry_budget_are_search_unavailable(proxy: FaultProxy) -> None:
    b = make_backend(proxy.url, policy=RetryPolicy(attempts=2, initial_backoff=0.01))
    try:
        b.index_documents([doc("d-0", "khởi tạo")])
        proxy.fail(503, 503)
        with pytest.raises(SearchUnavailable) as err:
            b.index_documents([doc("d-1", "x")])
        assert err.value.status == 503 and err.value.code == "search_unavailable"
        proxy.down = True
        with pytest.raises(SearchUnavailable):
            b.search(SearchQuery(q="x"))
        assert b.ping() is False
        proxy.down = False  # engine back: the same document goes through
        b.index_documents([doc("d-1", "Quay Lại")])
        assert hits(b, "quay lai") == ["d-1"]
    finally:
        drop_all(b)


def test_unreachable_engine_is_search_unavailable_not_a_crash() -> None:
    b = make_backend(f"http://127.0.0.1:{free_port()}", policy=RetryPolicy(attempts=3, initial_backoff=0.01))
    with pytest.raises(SearchUnavailable):
        b.index_documents([doc("d-1", "x")])
    with pytest.raises(SearchUnavailable):
        b.delete_document("d-1")
    assert b.ping() is False
    assert b.needs_rebuild() is False  # asked again on the reconciler's next pass
    b.close()


def test_settings_select_this_backend(opensearch_url, tmp_path) -> None:
    from search import open_backend
    from sohoa.core.config import Settings

    settings = Settings(_env_file=None, var_dir=tmp_path, search_backend="opensearch",
                        opensearch_url=opensearch_url, opensearch_index="sohoa-test", opensearch_retries=2)
    b = open_backend(settings)
    assert isinstance(b, OpenSearchBackend) and b.index == "sohoa-test" and b.policy.attempts == 2
    b.index_documents([doc("d-1", "Tạ Văn Cấu Hình")])
    assert hits(b, "cau hinh") == ["d-1"]
    drop_all(b)
