"""Pure parts of the OpenSearch backend: request bodies, snippet escaping, bulk chunks, backoff,
the client of several nodes."""

from __future__ import annotations

from datetime import date

import pytest

from search.base import IndexedDocument, IndexedPage, SearchFilters
from search.opensearch import dsl
from search.opensearch.bulk import PageAction, chunks
from search.opensearch.client import RetryPolicy, client_from_settings
from search.opensearch.mapping import page_source
from search.query import parse_query
from sohoa.core.config import Settings


def test_user_words_only_reach_match_values() -> None:
    body = dsl.search_body(parse_query('hồ "Nguyễn Văn" text:x*'), None, size=10, offset=0, search_after=None)
    required = body["query"]["bool"]["must"][0]["bool"]["filter"]
    assert required == [
        {"multi_match": {"query": "ho", "type": "best_fields", "fields": ["text", "names"]}},
        {"multi_match": {"query": "nguyen van", "type": "phrase", "fields": ["text", "names"]}},
        {"multi_match": {"query": "text x", "type": "phrase", "fields": ["text", "names"]}},
    ]
    should = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert should[0] == {"constant_score": {"filter": {"match_phrase": {"names": "ho nguyen van text x"}},
                                            "boost": dsl.NAME_BOOST}}
    assert {"match": {"body.exact": {"query": "hồ", "boost": dsl.EXACT_BOOST}}} in should


def test_upload_dates_are_local_calendar_days() -> None:
    clauses = dsl.filter_clauses(SearchFilters(uploaded_from=date(2024, 3, 1), uploaded_to=date(2024, 3, 1)))
    assert clauses == [{"range": {"uploaded_at": {
        "gte": "2024-03-01T00:00:00+07:00", "lt": "2024-03-02T00:00:00+07:00"}}}]


def test_fragment_is_escaped_but_marks_survive() -> None:
    raw = 'a <script>x</script> & <mark>Bình</mark>  "q"\n<mark>A&B</mark>'
    assert dsl.escape_fragment(raw) == (
        'a &lt;script&gt;x&lt;/script&gt; &amp; <mark>Bình</mark> &quot;q&quot; <mark>A&amp;B</mark>'
    )


def test_search_after_goes_to_the_engine_as_given_and_replaces_from() -> None:
    after = [0.2876821, "d-007", 2]
    body = dsl.search_body(parse_query("ho tich"), None, size=7, offset=0, search_after=after)
    assert body["search_after"] == after and "from" not in body
    assert body["sort"] == [{"_score": "desc"}, {"document_id": "asc"}, {"page": "asc"}]


def test_bulk_chunks_respect_action_count() -> None:
    actions = [PageAction("i", f"d:{n}", "d", {"text": "x"}) for n in range(1201)]
    assert [len(c) for c in chunks(actions)] == [500, 500, 201]


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=10, initial_backoff=1.0, max_backoff=5.0)
    assert 0.5 <= policy.delay(0) <= 1.0
    assert 2.0 <= policy.delay(2) <= 4.0
    assert 2.5 <= policy.delay(8) <= 5.0


def test_prepare_text_equals_canonical_tones() -> None:
    import unicodedata

    from search.opensearch.mapping import prepare_text
    from sohoa.domain.vntext import canonical_tones

    for text in ["Hoa\u0300 Bi\u0300nh khoẻ thuý quý giặt", unicodedata.normalize("NFD", "Trần Thị Ngọc Ánh hoà"),
                 "123/QĐ-UBND ngày 05/03/2024", ""]:
        assert prepare_text(text) == canonical_tones(text)
    assert prepare_text("Hoa\u0300 khoẻ") == "Hòa khỏe"


def test_a_cluster_is_several_urls_separated_by_commas() -> None:
    nodes = "https://os1:9200, https://os2:9200,https://os3:9200"
    settings = Settings(_env_file=None, search_backend="opensearch", opensearch_url=nodes)
    assert settings.opensearch_urls == ["https://os1:9200", "https://os2:9200", "https://os3:9200"]
    client = client_from_settings(settings)
    try:
        hosts = sorted((c.host, c.use_ssl) for c in client.transport.connection_pool.connections)  # shuffled
        assert hosts == [("https://os1:9200", True), ("https://os2:9200", True), ("https://os3:9200", True)]
        # a node that cannot be reached passes the request on to the next one at once
        assert client.transport.max_retries == 2 and client.transport.retry_on_status == ()
    finally:
        client.close()
    with pytest.raises(ValueError, match="each starting with http"):
        Settings(_env_file=None, search_backend="opensearch", opensearch_url="https://os1:9200,os2:9200")
    with pytest.raises(ValueError, match="one URL or several"):
        Settings(_env_file=None, search_backend="opensearch", opensearch_url=" , ")


def test_a_person_whose_whole_name_is_the_query_gets_its_own_clause() -> None:
    doc = IndexedDocument(document_id="d", pages=[IndexedPage(number=1, text="x")],
                          names=["Vương  Hồng-Minh", "Vương Hồng Minh Thư", " "])
    assert page_source(doc, doc.pages[0])["whole_names"] == ["vuong hong minh", "vuong hong minh thu"]
    should = dsl.text_query(parse_query("Vương Hồng Minh"))["bool"]["should"]
    assert {"constant_score": {"filter": {"term": {"whole_names": "vuong hong minh"}},
                               "boost": dsl.WHOLE_NAME_BOOST}} in should
