"""Query semantics every ``SearchBackend`` must share, run against each backend.

Subclass ``SearchBackendConformance`` in a ``test_*.py`` module and provide a ``backend``
fixture: a fresh, empty, isolated backend per test (OpenSearch: its own uuid-named
index). After ``index_documents``, ``delete_document`` or ``rebuild`` returns, the change
must be visible to ``search`` and ``count`` (backends refresh before returning).

Pinned semantics (see ``search/query.py``): all terms required; quoted text and
punctuation-joined chunks (``123/QĐ-UBND``) are phrases; matching is on the folded form
(no diacritics, đ→d) with exact diacritics ranked higher; user syntax never acts as
syntax; ties sort by ``document_id`` then page; ``valid_on`` keeps documents with
``(valid_from is None or valid_from <= d) and (permanent or d <= valid_until)``.
Ranking (issue 13, docs/search.md): a name of the page's record holding the words, then the
words together in order, then all in the record's names, then two of them side by side,
then scattered; words only in boilerplate last; exact diacritics and a whole name first.

One mixin per capability (``matching``, ``ranking``, ``paging``, ``filters``, ``parts``: a
file of several paper documents), as
haystack's document-store tests do; ``corpus`` holds what they index and how they read
answers.
"""

from __future__ import annotations

from tests.integration.conformance.corpus import doc
from tests.integration.conformance.filters import FilterConformance
from tests.integration.conformance.matching import MatchingConformance
from tests.integration.conformance.paging import PagingConformance
from tests.integration.conformance.parts import PartsConformance
from tests.integration.conformance.ranking import RankingConformance

__all__ = ["SearchBackendConformance", "doc"]


class SearchBackendConformance(MatchingConformance, RankingConformance, PagingConformance, FilterConformance,
                               PartsConformance):
    """Every capability: what both backends are tested with."""
