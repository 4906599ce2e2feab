"""Pure parts of the OpenSearch backend: request bodies, snippet escaping, the score cursor."""

from __future__ import annotations

from datetime import date
from typing import Any

from search.base import SearchFilters
from search.opensearch import cursor, dsl
from search.opensearch.bulk import PageAction, chunks
from search.opensearch.client import RetryPolicy
from search.query import parse_query


def test_user_words_only_reach_match_values() -> None:
    body = dsl.search_body(parse_query('hồ "Nguyễn Văn" text:x*'), None, size=10, offset=0, search_after=None)
    must = body["query"]["bool"]["must"][0]["bool"]["must"]
    assert must == [
        {"match": {"text": {"query": "ho", "boost": 1.0}}},
        {"match_phrase": {"text": {"query": "nguyen van", "boost": 1.0}}},
        {"match_phrase": {"text": {"query": "text x", "boost": 1.0}}},
    ]
    should = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert should[0] == {"match": {"text.exact": {"query": "hồ", "boost": dsl.EXACT_BOOST}}}


def test_upload_dates_are_local_calendar_days() -> None:
    clauses = dsl.filter_clauses(SearchFilters(uploaded_from=date(2024, 3, 1), uploaded_to=date(2024, 3, 1)))
    assert clauses == [{"range": {"uploaded_at": {
        "gte": "2024-03-01T00:00:00+07:00", "lt": "2024-03-02T00:00:00+07:00"}}}]


def test_fragment_is_escaped_but_marks_survive() -> None:
    raw = 'a <script>x</script> & <mark>Bình</mark>  "q"\n<mark>A&B</mark>'
    assert dsl.escape_fragment(raw) == (
        'a &lt;script&gt;x&lt;/script&gt; &amp; <mark>Bình</mark> &quot;q&quot; <mark>A&amp;B</mark>'
    )


def test_next_float32_up_is_the_adjacent_float() -> None:
    x = cursor.as_float32(0.0074565453)
    up = cursor.next_float32_up(0.0074565453)
    assert up > x and cursor.as_float32(up) == up
    assert cursor.as_float32((x + up) / 2) in (x, up)  # nothing representable in between


def _fake_engine(rows: list[list[Any]]) -> cursor.Search:
    """An engine that sorts correctly but whose score cursor is off by a hair (like osmem)."""

    def search(body: dict[str, Any]) -> dict[str, Any]:
        after = body["search_after"]
        # Its stored scores never equal a cursor's score, so only "strictly lower" counts.
        start = sorted((r for r in rows if r[0] < after[0]), key=cursor.sort_key)
        return {"hits": {"hits": [{"sort": r} for r in start[: body["size"]]]}}

    return search


def test_inexact_cursor_neither_repeats_nor_skips_a_tie_group() -> None:
    rows = [[0.5, f"d-{i:02d}", 1] for i in range(40)] + [[0.25, f"d-{i:02d}", 1] for i in range(5)]
    search = _fake_engine(rows)
    seen: list[list[Any]] = []
    after = [1.0, "", 0]
    while True:
        page = cursor.inexact_page(search, {"size": 7}, after)["hits"]["hits"]
        if not page:
            break
        seen += [h["sort"] for h in page]
        after = page[-1]["sort"]
    assert seen == sorted(rows, key=cursor.sort_key)


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
