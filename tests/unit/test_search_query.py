"""User query parsing: words, phrases, normalization, and syntax that must stay inert."""

from __future__ import annotations

import unicodedata
from typing import TypedDict

import pytest

from search.base import SearchQuery
from search.query import MAX_QUERY_CHARS, QueryTerm, parse_query, parse_sort_key, validate_paging
from search.snippets import has_phrase, has_raw_phrase, lower_fold, make_snippet
from sohoa.core.errors import InvalidQuery


class Paging(TypedDict, total=False):
    page: int
    size: int


def exact(q: str) -> list[tuple[str, ...]]:
    return [t.exact for t in parse_query(q).terms]


def test_blank_query_matches_all() -> None:
    assert parse_query("").match_all
    assert parse_query("   \t").match_all
    assert parse_query(None).match_all


def test_words_are_normalized_and_folded() -> None:
    term = parse_query("Hoà").terms[0]
    assert term == QueryTerm(exact=("hòa",), folded=("hoa",))
    assert parse_query("ĐỨC").terms[0].folded == ("duc",)
    assert parse_query(unicodedata.normalize("NFD", "Ngọc")).terms[0].exact == ("ngọc",)


def test_quoted_text_is_one_phrase_and_bare_words_are_separate() -> None:
    assert exact('"Nguyễn Văn A" hồ sơ') == [("nguyễn", "văn", "a"), ("hồ",), ("sơ",)]
    assert exact("“Trần Thị” x") == [("trần", "thị"), ("x",)]


def test_punctuation_joined_chunk_is_a_phrase() -> None:
    assert exact("123/QĐ-UBND") == [("123", "qđ", "ubnd")]
    assert parse_query("123/QĐ-UBND").terms[0].folded == ("123", "qd", "ubnd")
    assert exact("002171179082") == [("002171179082",)]


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("ma*", [("ma",)]),
        ("-ma", [("ma",)]),
        ("NEAR(a b)", [("near", "a"), ("b",)]),
        ("exact:ma", [("exact", "ma")]),
        ("{exact}:ma ^x", [("exact", "ma"), ("x",)]),
        ("a OR b NOT c", [("a",), ("or",), ("b",), ("not",), ("c",)]),
        ("snake_case", [("snake", "case")]),
        ("ma ma", [("ma",)]),
    ],
)
def test_syntax_characters_are_only_separators(typed: str, words: list[tuple[str, ...]]) -> None:
    assert exact(typed) == words


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ('"abc', "Unbalanced quote"),
        ("***", "no letters or digits"),
        ('"***"', "no letters or digits"),
        ("x" * (MAX_QUERY_CHARS + 1), "too long"),
        (" ".join(f"w{i}" for i in range(40)), "Too many"),
        ("a\x00b", "NUL"),
    ],
)
def test_malformed_queries_say_what_is_wrong(typed: str, fragment: str) -> None:
    with pytest.raises(InvalidQuery) as info:
        parse_query(typed)
    assert fragment in info.value.message
    assert info.value.code == "invalid_query" and info.value.status == 400


@pytest.mark.parametrize(
    "after", [[1.5, "d", 2], (0, "d", 1)],
)
def test_sort_key_round_trips(after: list) -> None:
    assert parse_sort_key(after) == [float(after[0]), "d", int(after[2])]


@pytest.mark.parametrize(
    "bad", [None, [], [1.0, "d"], ["1", "d", 1], [1.0, "d", "1"], [True, "d", 1], [1.0, "d", 1, 2]]
)
def test_bad_sort_key_is_invalid(bad: object) -> None:
    with pytest.raises(InvalidQuery):
        parse_sort_key(bad)


def test_paging_limits() -> None:
    assert validate_paging(SearchQuery(q="a", page=2, size=50)) is None
    bad: list[Paging] = [{"size": 0}, {"size": 101}, {"page": 0}, {"page": 101, "size": 100}]
    for kwargs in bad:
        with pytest.raises(InvalidQuery):
            validate_paging(SearchQuery(q="a", **kwargs))


def test_snippet_marks_folded_match_and_escapes() -> None:
    snippet = make_snippet("<b>Ông</b> Nguyễn Văn Bình & bà", parse_query("nguyen binh"))
    assert snippet == "&lt;b&gt;Ông&lt;/b&gt; <mark>Nguyễn</mark> Văn <mark>Bình</mark> &amp; bà"


def test_snippet_marks_phrases_only_where_words_are_adjacent() -> None:
    snippet = make_snippet("Văn An, Nguyễn Văn An", parse_query('"van an" nguyen'))
    assert snippet == "<mark>Văn</mark> <mark>An</mark>, <mark>Nguyễn</mark> <mark>Văn</mark> <mark>An</mark>"
    snippet = make_snippet("An Văn", parse_query('"van an"'))
    assert "<mark>" not in snippet


def test_snippet_windows_long_text_around_densest_matches() -> None:
    text = "Bình " + "lorem ipsum " * 100 + "Trần Văn Bình ở đây " + "dolor " * 100
    snippet = make_snippet(text, parse_query("tran binh"), max_chars=120)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>Trần</mark> Văn <mark>Bình</mark>" in snippet
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) <= 125


def test_snippet_of_match_all_is_the_page_start() -> None:
    assert make_snippet("a  b\n\nc", parse_query("")) == "a b c"


@pytest.mark.parametrize(
    "text",
    ["Hoà Bình, THUÝ Kiều; khoẻ_mạnh 123/QĐ-UBND", unicodedata.normalize("NFD", "Đặng Thị Ngọc Ánh\nquý khách"),
     "ĐƯỜNG Nguyễn Huệ — “quà” tặng", ""],
)
def test_index_forms_equal_whole_text_normalization(text: str) -> None:
    from search.query import index_forms
    from sohoa.domain import vntext

    assert index_forms(text) == (vntext.normalize(text), vntext.folded(text))


@pytest.mark.parametrize(("text", "found"), [
    ("Họ và tên: NGUYỄN THÀNH TÚ, sinh năm", True),
    ("ông Nguyễn Thành  -  Tú", True),  # anything but letters between the words
    (unicodedata.normalize("NFD", "nguyễn thành tú"), True),  # marks left uncomposed
    ("Nguyên Thanh Tu", True),  # a tone or hat read wrong folds the same
    ("Nguyễn Thành Tuấn", False),  # the last word whole
    ("XNguyễn Thành Tú", False),  # the first word whole
    ("ANguyễn Thành Tú và Nguyễn Thành Tú", True),  # a whole match after a partial one
    ("Nguyễn Thành Tâm; Trần Thanh Tú", False),  # the pairs, but not the phrase
])
def test_a_phrase_is_checked_on_the_text_as_folded_words(text: str, found: bool) -> None:
    assert has_raw_phrase(text, ("nguyen", "thanh", "tu")) is found
    assert has_phrase(lower_fold(text), ("nguyen", "thanh", "tu")) is found  # the same on a folded copy
