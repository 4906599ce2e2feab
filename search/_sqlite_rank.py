"""Ranking inside a stage of the embedded index, on the page text itself.

The stages (``_sqlite_plan``) already put names above phrases above scattered words above
boilerplate. Inside a small stage the pages are ordered here by, in this order of weight:

1. exact diacritics: the share of the query's words found on the page (body or the record's
   names) exactly as typed — ``má`` above ``ma`` for ``má``, and ``ma`` above ``má`` for ``ma``;
2. a person of the record whose whole name is the query (``Vương Hồng Minh`` above
   ``Vương Hồng Minh Thư`` for ``vuong hong minh``);
3. proximity: how tightly the words stand in the body (all of them in the shortest window);
4. the share of the words found in the record's names;
5. how often the words occur in the body (saturating).

Words found only in boilerplate count for nothing. The score is mapped into [0, 1) so the
stage number stays its integer part (see ``sqlite_fts``).
"""

from __future__ import annotations

import math

from search import snippets
from search.query import WORD_RE, ParsedQuery, fold_word, normalize_word, words
from sohoa.domain import vntext
from sohoa.domain.boilerplate import boilerplate_spans, cut

WEIGHTS = (8.0, 6.0, 4.0, 2.0, 1.0)  # exact, whole name, proximity, names, frequency


class PageView:
    """A page's words, folded and exact, with the boilerplate ones set apart; built from
    whole-text forms and regular expressions (C loops), not word by word."""

    def __init__(self, text: str) -> None:
        exact, folded = vntext.forms(text)
        same = len(exact) == len(folded) == len(text)
        self.lower_fold = folded if same else snippets.lower_fold(text)  # what its snippet is found in
        if same:
            spans = boilerplate_spans(folded)
            body_folded, pieces = cut(folded, spans)
            body_exact, _ = cut(exact, spans)
        else:  # a lower case of another length (İ...): cut the text, then normalize
            raw_body, raw_pieces = cut(text, boilerplate_spans(vntext.fold(text)))
            body_folded, body_exact = vntext.folded(raw_body), vntext.normalize(raw_body)
            pieces = [vntext.folded(p) for p in raw_pieces]
        self.folded = WORD_RE.findall(body_folded)
        self.exact = WORD_RE.findall(body_exact)
        self.boiler = [w for piece in pieces for w in WORD_RE.findall(piece)]
        self.text = text


def holds_phrases(text: str, names: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    """Every (folded) phrase stands word after word in the text or in one of the names."""
    if not phrases:
        return True
    return all(any(snippets.has_raw_phrase(source, phrase) for source in (text, *names)) for phrase in phrases)


def score(page: PageView, names: list[str], parsed: ParsedQuery) -> float:
    """The in-stage score of a page, in [0, 1)."""
    folded_q = [w for term in parsed.terms for w in term.folded]
    per_name = [[(fold_word(w), normalize_word(w)) for _, _, w in words(name)] for name in names]
    name_words = [pair for name in per_name for pair in name]
    whole_name = float(any([f for f, _ in name] == folded_q for name in per_name))
    body_folded = set(page.folded)
    body_exact = set(page.exact)
    names_folded = {f for f, _ in name_words}
    names_exact = {e for _, e in name_words}
    n = len(folded_q)
    exact = sum(len(term.exact) for term in parsed.terms
                if _exactly(term.exact, page.exact, body_exact, [[e for _, e in name] for name in per_name],
                            names_exact)) / n
    in_names = sum(1 for f in folded_q if f in names_folded) / n
    wanted = set(folded_q)
    occurrences = sum(1 for f in page.folded if f in wanted)
    frequency = min(1.0, math.log1p(occurrences / n) / math.log1p(4.0))
    proximity = _proximity(page.folded, wanted) if wanted <= body_folded else 0.0
    signals = (exact, whole_name, proximity, in_names, frequency)
    total = sum(w * v for w, v in zip(WEIGHTS, signals, strict=True))
    return total / (total + 1.0)


def _exactly(words: tuple[str, ...], body: list[str], body_set: set[str], names: list[list[str]],
             names_set: set[str]) -> bool:
    """A term is on the page as typed: a word in the body or the names; a quoted phrase, the
    whole of it word after word (a phrase is one unit: two of its three words count nothing)."""
    if len(words) == 1:
        return words[0] in body_set or words[0] in names_set
    if not all(w in body_set or w in names_set for w in words):
        return False
    return any(_contains(seq, words) for seq in (body, *names))


def _contains(sequence: list[str], words: tuple[str, ...]) -> bool:
    k = len(words)
    first = words[0]
    return any(sequence[i:i + k] == list(words) for i, w in enumerate(sequence) if w == first)


def _proximity(sequence: list[str], wanted: set[str]) -> float:
    """len(wanted) / the length of the shortest window holding every wanted word (1.0: adjacent)."""
    need = len(wanted)
    if need == 1:
        return 1.0
    counts: dict[str, int] = {}
    best = math.inf
    left = 0
    for right, word in enumerate(sequence):
        if word not in wanted:
            continue
        counts[word] = counts.get(word, 0) + 1
        while len(counts) == need:
            lw = sequence[left]
            if lw in counts:
                best = min(best, right - left + 1)
                counts[lw] -= 1
                if not counts[lw]:
                    del counts[lw]
            left += 1
    return 0.0 if best == math.inf else need / best
