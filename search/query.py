"""User query parsing shared by every backend: terms, quoted phrases, nothing else.

User input never reaches a search engine's own query language. It is cut into words
(runs of letters and digits, the same split SQLite's ``unicode61`` tokenizer and
OpenSearch's standard tokenizer make for Vietnamese text), each word normalized with
``sohoa.domain.vntext``; every syntax character (``* ^ - : ( ) NEAR OR`` …) is only a separator.
Backends then quote the resulting words in their own syntax, so a query can only mean
"all of these words / phrases".

- ``a b``: both words required, anywhere on the page.
- ``"Nguyễn Văn A"``: the words in this order (a phrase).
- ``123/QĐ-UBND``: one whitespace-free chunk that splits into several words is a phrase
  too, so identifiers match as written, not as scattered words.
- empty or blank ``q``: match everything (filters only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from search.base import SearchQuery
from sohoa.core.errors import InvalidQuery
from sohoa.core.vocab import SearchSort
from sohoa.domain import vntext

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 32
MAX_PAGE_SIZE = 100
MAX_RESULT_WINDOW = 10_000  # page * size beyond this must use search_after (as OpenSearch)

# Letters and digits; "_" and everything else separate words (like unicode61's defaults).
WORD_RE = re.compile(r"[^\W_]+")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\uff02": '"'})


@dataclass(frozen=True)
class QueryTerm:
    """One required unit of a query: a single word, or a phrase when ``len(exact) > 1``."""

    exact: tuple[str, ...]  # vntext.normalize per word: NFC, canonical tones, lower case
    folded: tuple[str, ...]  # vntext.folded per word: no diacritics, đ→d


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[QueryTerm, ...]

    @property
    def match_all(self) -> bool:
        return not self.terms


def words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) for each word of NFC ``text`` — the one tokenization all code shares."""
    return [(m.start(), m.end(), m.group(0)) for m in WORD_RE.finditer(text)]


@lru_cache(maxsize=100_000)
def normalize_word(word: str) -> str:
    """``vntext.normalize`` of one word, cached: a page repeats a small vocabulary."""
    return vntext.normalize(word)


@lru_cache(maxsize=100_000)
def fold_word(word: str) -> str:
    """``vntext.folded`` of one word, cached."""
    return vntext.fold(normalize_word(word))


def index_forms(text: str) -> tuple[str, str]:
    """(exact, folded) forms of a page for indexing: ``vntext.normalize`` and ``vntext.folded``."""
    exact = vntext.normalize(text)
    return exact, vntext.fold(exact)


def parse_query(q: str | None) -> ParsedQuery:
    """Parse raw user input; raise ``InvalidQuery`` with a message a clerk can act on."""
    if q is None or not q.strip():
        return ParsedQuery(terms=())
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidQuery(
            f"The query is too long ({len(q)} characters, at most {MAX_QUERY_CHARS}).",
            detail={"max_chars": MAX_QUERY_CHARS},
        )
    text = vntext.nfc(q).translate(_QUOTES)
    if "\x00" in text:
        raise InvalidQuery("The query contains a NUL character.")
    if text.count('"') % 2:
        raise InvalidQuery(
            'Unbalanced quote: close the phrase with a second " (or remove the quote).',
            detail={"position": text.rfind('"')},
        )
    terms: list[QueryTerm] = []
    for index, segment in enumerate(text.split('"')):
        if index % 2:  # inside quotes: the whole segment is one phrase
            _append(terms, segment)
        else:
            for chunk in segment.split():
                _append(terms, chunk)
    if not terms:
        raise InvalidQuery(
            "Nothing to search for: the query has no letters or digits.", detail={"q": q}
        )
    if len(terms) > MAX_QUERY_TERMS:
        raise InvalidQuery(
            f"Too many search terms ({len(terms)}, at most {MAX_QUERY_TERMS}).",
            detail={"max_terms": MAX_QUERY_TERMS},
        )
    return ParsedQuery(terms=tuple(_dedupe(terms)))


def _append(terms: list[QueryTerm], text: str) -> None:
    found = [w for _, _, w in words(text)]
    if not found:
        return
    exact = tuple(normalize_word(w) for w in found)
    terms.append(QueryTerm(exact=exact, folded=tuple(fold_word(w) for w in found)))


def _dedupe(terms: list[QueryTerm]) -> list[QueryTerm]:
    seen: set[tuple[str, ...]] = set()
    out = []
    for term in terms:
        if term.exact not in seen:
            seen.add(term.exact)
            out.append(term)
    return out


def validate_paging(query: SearchQuery) -> list[Any] | None:
    """Check page/size/search_after the same way for every backend; return search_after."""
    if not 1 <= query.size <= MAX_PAGE_SIZE:
        raise InvalidQuery(f"size must be between 1 and {MAX_PAGE_SIZE}.", detail={"size": query.size})
    if query.search_after is not None and query.sort != SearchSort.RELEVANCE:
        raise InvalidQuery("search_after pages results in relevance order only; use page for other orders.",
                           detail={"sort": str(query.sort)})
    if query.search_after is None:
        if query.page < 1:
            raise InvalidQuery("page must be 1 or more.", detail={"page": query.page})
        if query.page * query.size > MAX_RESULT_WINDOW:
            raise InvalidQuery(
                f"page * size may not exceed {MAX_RESULT_WINDOW}; use search_after to go deeper.",
                detail={"max_result_window": MAX_RESULT_WINDOW},
            )
        return None
    return parse_sort_key(query.search_after)


def parse_sort_key(value: Any) -> list[Any]:
    """A hit's ``sort`` value is ``[score, document_id, page]``; anything else is a 400."""
    ok = (
        isinstance(value, (list, tuple))
        and len(value) == 3
        and isinstance(value[0], (int, float))
        and not isinstance(value[0], bool)
        and isinstance(value[1], str)
        and isinstance(value[2], int)
        and not isinstance(value[2], bool)
    )
    if not ok:
        raise InvalidQuery(
            "search_after must be the `sort` value of a previous hit: [score, document_id, page].",
            detail={"search_after": repr(value)[:200]},
        )
    return [float(value[0]), value[1], int(value[2])]
