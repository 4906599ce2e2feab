"""The index template (strict mapping, Vietnamese analyzers) and the page → source mapping.

One OpenSearch document per page, id ``<document_id>:<page>``, carrying the names, facets
and who-and-what of the record of its part (``IndexedDocument.record_of``). The engine cannot put
Vietnamese tone marks in canonical position (``hoà`` and ``hòa`` are different letters to
it, and no stock filter takes custom rules), so text is NFC + ``canonical_tones`` before it
is sent (and queries get the same treatment in ``query.py``).

Two analyzers, the same names in both variants below: ``vi_folded`` on ``text`` keeps each
word as written and adds its folded form at the same position (no marks, đ→d), so folded
queries match and phrases still work; ``vi_exact`` on ``text.exact`` does not fold, and is
boosted at query time so exact diacritics rank first.

- With the ``analysis-icu`` plugin (``ICU_SETTINGS``): an NFC char filter composes
  decomposed marks before words are cut (a combining mark is not a letter, so NFD text would
  otherwise split ``Trần`` into ``tra`` + ``n``), ``icu_normalizer`` ``nfkc_cf`` does case
  folding and compatibility forms (full-width ``１２３``, OCR's ``ﬁ`` ligature), and
  ``icu_folding`` (UTR #30, which also maps đ→d) gives the folded form, kept beside the
  original by ``multiplexer``'s ``preserve_original``.
- Without it (``ASCII_SETTINGS``, a stock OpenSearch image): ``lowercase`` and
  ``asciifolding`` with ``preserve_original``. For Vietnamese the two fold to the same words
  (the whole alphabet, both cases, is checked against a real node in the tests); text from
  sohoa is NFC already, so only text written by other means would miss the ICU variant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from search.base import IndexedDocument, IndexedPage
from search.query import fold_word, words
from sohoa.domain.boilerplate import split_boilerplate
from sohoa.domain.vntext import canonical_tones, nfc

TEXT_INDEX_OPTIONS = "offsets"  # postings with offsets: fast highlighting of long pages

# Every character that is not a letter or digit separates words, as in ``search.query.words``
# (the standard tokenizer alone would keep ``1.004227`` or ``a_b`` as one token). One
# character in, one out, so highlight offsets still point into the original text.
WORD_SEPARATORS = {"type": "pattern_replace", "pattern": "[^\\p{L}\\p{N}]", "replacement": " "}


def _analyzers(char_filters: list[str], lower: str, fold: str) -> dict[str, Any]:
    base = {"type": "custom", "char_filter": [*char_filters, "vi_words"], "tokenizer": "standard"}
    return {"vi_folded": {**base, "filter": [lower, fold]}, "vi_exact": {**base, "filter": [lower]}}


ASCII_SETTINGS: dict[str, Any] = {
    "analysis": {
        "char_filter": {"vi_words": WORD_SEPARATORS},
        "filter": {"vi_fold": {"type": "asciifolding", "preserve_original": True}},
        "analyzer": _analyzers([], "lowercase", "vi_fold"),
    },
}

ICU_SETTINGS: dict[str, Any] = {
    "analysis": {
        "char_filter": {"vi_words": WORD_SEPARATORS, "vi_nfc": {"type": "icu_normalizer", "name": "nfc"}},
        "filter": {
            "vi_lower": {"type": "icu_normalizer", "name": "nfkc_cf"},
            "vi_fold": {"type": "multiplexer", "filters": ["icu_folding"], "preserve_original": True},
        },
        "analyzer": _analyzers(["vi_nfc"], "vi_lower", "vi_fold"),
    },
}

_KEYWORDS = (
    "document_id", "batch_ids", "agency_code", "procedure_code", "status",
    "owner_ids", "doc_type", "legal_status", "filename", "record_id",
)
_SHOWN = {"type": "keyword", "index": False, "doc_values": False}  # given back with hits, never searched

# What a page carries; a version of an older layout is rebuilt (``OpenSearchBackend.needs_rebuild``).
# 2: the names, facets and who-and-what of its part's record (1: its file's first record).
LAYOUT = 2

INDEX_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        **{name: {"type": "keyword"} for name in _KEYWORDS},
        "page": {"type": "integer"},
        "text": {
            "type": "text",
            "analyzer": "vi_folded",
            "index_options": TEXT_INDEX_OPTIONS,
            "fields": {
                "exact": {"type": "text", "analyzer": "vi_exact", "index_options": TEXT_INDEX_OPTIONS},
            },
        },
        # The text without boilerplate (motto, bare headers), scored; ``text`` is matched
        # and highlighted. The record's person names, one array value each.
        "body": {"type": "text", "analyzer": "vi_folded",
                 "fields": {"exact": {"type": "text", "analyzer": "vi_exact"}}},
        "names": {"type": "text", "analyzer": "vi_folded",
                  "fields": {"exact": {"type": "text", "analyzer": "vi_exact"}}},
        # Each name whole, folded words joined by one space (``whole_name``): a person whose
        # whole name is the query ranks above a longer name holding it.
        "whole_names": {"type": "keyword"},
        "uploaded_at": {"type": "date"},
        "valid_from": {"type": "date", "format": "strict_date"},
        "valid_until": {"type": "date", "format": "strict_date"},
        "permanent": {"type": "boolean"},
        "issue_date": {"type": "date", "format": "strict_date"},
        "needs_review": {"type": "boolean"},
        "owner_name": _SHOWN,
        "doc_number": _SHOWN,
    },
}


def index_template(index: str, *, icu: bool) -> dict[str, Any]:
    """Composable template for every version ``<index>-v<N>`` of this alias; ``icu``: with
    the ``analysis-icu`` filters (``versions.put_template`` falls back when they are refused)."""
    return {
        "index_patterns": [f"{index}-v*"],
        "priority": 100,
        # the layout only in the template: ``extend_mapping`` must not mark an older version current
        "template": {"settings": ICU_SETTINGS if icu else ASCII_SETTINGS,
                     "mappings": {**INDEX_MAPPINGS, "_meta": {"sohoa_layout": LAYOUT}}},
        "_meta": {"owner": "sohoa", "alias": index, "analysis": "icu" if icu else "asciifolding"},
    }


def page_id(document_id: str, page: int) -> str:
    """Deterministic id: redelivering a document overwrites, never duplicates."""
    return f"{document_id}:{page}"


def prepare_text(text: str) -> str:
    """NFC + canonical tone placement, done here because the engine cannot."""
    return canonical_tones(text)


def whole_name(name: str) -> str:
    """A name as the query's folded words would spell it: ``Vương  Hồng-Minh`` → ``vuong hong minh``."""
    return " ".join(fold_word(w) for _, _, w in words(nfc(name)))


def page_source(doc: IndexedDocument, page: IndexedPage) -> dict[str, Any]:
    """The stored source of one page, with its part's record; ``None`` values are left out,
    never indexed as null."""
    record = doc.record_of(page.number)
    source: dict[str, Any] = {
        "document_id": doc.document_id,
        "page": page.number,
        "text": prepare_text(page.text),
        "body": prepare_text(split_boilerplate(nfc(page.text))[0]),
        "names": [prepare_text(n) for n in dict.fromkeys(record.names) if n and n.strip()],
        "whole_names": sorted({whole_name(n) for n in record.names if n and n.strip()}),
        "batch_ids": list(doc.batch_ids),
        "owner_ids": list(record.owner_ids),
        "agency_code": doc.agency_code,
        "procedure_code": doc.procedure_code,
        "status": doc.status,
        "filename": doc.filename,
        "record_id": record.record_id,
        "owner_name": record.owner_name,
        "doc_number": record.doc_number,
        "doc_type": record.doc_type,
        "legal_status": record.legal_status,
        "uploaded_at": _instant(doc.uploaded_at),
        "valid_from": _day(record.valid_from),
        "valid_until": _day(record.valid_until),
        "permanent": record.permanent,
        "issue_date": _day(record.issue_date),
        "needs_review": page.needs_review,
    }
    return {k: v for k, v in source.items() if v is not None}


def _instant(value: datetime | None) -> str | None:
    """ISO 8601 with an offset; naive datetimes are UTC (how the database stores them)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _day(value: date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()
