"""What the embedded index stores for a page, as FTS5 tokens, and the same forms for queries.

One contentless FTS5 table per index version holds tokens only, without positions
(``detail=none``: the smallest index FTS5 makes; the page text is stored once, compressed,
in ``pages``). Per page:

- every folded word of its body ``w``, of its boilerplate ``w__`` and of the person names
  of its record ``_w`` (the record of the part the page is in);
- every two adjacent folded words ``a_b`` of the body (``a_b__`` inside boilerplate,
  ``_a_b`` inside one name);
- filter tags ``___<key><hash>``: the document's (batch, agency, procedure, status), its
  record's (owner, type, year) and the page's review flag.

"The words stand together in that order" is then a conjunction of pair tokens, which are
rare even when the words are the commonest syllables (``thi``, ``an``, ``van``): FTS5
intersects short doclists instead of the longest ones, and a filter is one more token in
the same intersection. Two adjacent words are exactly one pair token; for three and more,
all their pairs present is what the ranking stages ask, and a quoted phrase is then
checked word by word on the page text (``_sqlite_rank.holds_phrases``). The ``_`` marks are
FTS5 token characters (``tokenchars '_'``); page words and query words never contain one
(``_`` separates words in both, see ``search.query``).

A contentless table cannot delete a row by itself: FTS5 must be told the tokens the row was
inserted with. ``page_tokens`` is a pure function of what ``docs``, ``records`` and ``pages``
keep (text, names, tags, review flag), so a delete recomputes them. Any change to what it produces
must bump ``_sqlite_sql.SCHEMA`` (older files are then rebuilt, see ``sqlite_fts``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from itertools import pairwise

from search.base import IndexedDocument, IndexedRecord
from search.query import WORD_RE, ParsedQuery
from sohoa.domain import vntext
from sohoa.domain.boilerplate import boilerplate_spans, cut

TOKENIZER = "unicode61 remove_diacritics 0 tokenchars '_'"
BOILER = "__"  # suffix of boilerplate words and pairs
NAME = "_"  # prefix of name words and pairs
TAG = "___"


def tag(key: str, value: object) -> str:
    """A filter value as one token: FTS5 intersects it with the query at doclist level."""
    digest = hashlib.blake2b(f"{key}\x00{value}".encode(), digest_size=8).hexdigest()
    return f"{TAG}{key}{digest}"


def doc_tags(doc: IndexedDocument) -> list[str]:
    """The document's filter tags (``SearchFilters`` fields that are equality tests)."""
    tags = [tag("b", b) for b in dict.fromkeys(doc.batch_ids)]
    for key, value in (("a", doc.agency_code), ("p", doc.procedure_code), ("s", doc.status)):
        if value is not None:
            tags.append(tag(key, value))
    return tags


def record_tags(record: IndexedRecord) -> list[str]:
    """The filter tags of the record a page is indexed with (owner, type, issue year)."""
    tags = [tag("o", o) for o in dict.fromkeys(record.owner_ids)]
    for key, value in (("t", record.doc_type), ("y", record.issue_date.year if record.issue_date else None)):
        if value is not None:
            tags.append(tag(key, value))
    return tags


def review_tag(needs_review: bool) -> str:
    return tag("r", int(needs_review))


def _words(folded: str) -> list[str]:
    return WORD_RE.findall(folded)


def _pairs(words: list[str], prefix: str = "", suffix: str = "") -> str:
    return " ".join(f"{prefix}{a}_{b}{suffix}" for a, b in pairwise(words))


def name_words(names: Iterable[str]) -> list[list[str]]:
    """Folded words of each name (``Bùi Thị An`` → ``[bui, thi, an]``)."""
    return [w for w in (_words(vntext.folded(n.replace("_", " "))) for n in names) if w]


def page_tokens(text: str, names: list[list[str]], tags: list[str], needs_review: bool) -> str:
    """The FTS5 row of one page (see the module docstring)."""
    folded = vntext.folded(text)
    if len(folded) == len(text):
        body, pieces = cut(folded, boilerplate_spans(folded))
    else:  # a character whose lower case is longer (İ...): find the spans on the text itself
        raw_body, raw_pieces = cut(text, boilerplate_spans(vntext.fold(text)))
        body, pieces = vntext.folded(raw_body), [vntext.folded(p) for p in raw_pieces]
    words = _words(body)
    boiler = [_words(piece) for piece in pieces]
    return " ".join([
        *words, _pairs(words),
        *(w + BOILER for ws in boiler for w in ws), *(_pairs(ws, suffix=BOILER) for ws in boiler),
        *(NAME + w for ws in names for w in ws), *(_pairs(ws, prefix=NAME) for ws in names),
        *tags, review_tag(needs_review),
    ])


# -- the query side ------------------------------------------------------------------------

def fts_string(tokens: Iterable[str]) -> str:
    """An FTS5 string (a token, or a phrase of tokens): quoted, so nothing acts as syntax."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def any_of(*strings: str) -> str:
    return "(" + " OR ".join(strings) + ")"


def all_of(parts: Iterable[str]) -> str:
    return " AND ".join(parts)


def word_anywhere(word: str) -> str:
    """The word in the body, the boilerplate or a name."""
    return any_of(fts_string([word]), fts_string([word + BOILER]), fts_string([NAME + word]))


def pair_tokens(words: tuple[str, ...] | list[str], prefix: str = "", suffix: str = "") -> list[str]:
    return [f"{prefix}{a}_{b}{suffix}" for a, b in pairwise(words)]


def all_pairs(words: tuple[str, ...] | list[str], prefix: str = "", suffix: str = "") -> str:
    """Every adjacent pair of the words present (for two words: exactly "together, in order")."""
    return "(" + all_of(fts_string([p]) for p in dict.fromkeys(pair_tokens(words, prefix, suffix))) + ")"


def phrase_anywhere(words: tuple[str, ...]) -> str:
    """A phrase's pairs in the body, the boilerplate or one name."""
    return any_of(all_pairs(words), all_pairs(words, suffix=BOILER), all_pairs(words, prefix=NAME))


def query_words(parsed: ParsedQuery) -> list[str]:
    """Every folded word of the query in order, duplicates kept (``an van an``)."""
    return [w for term in parsed.terms for w in term.folded]
