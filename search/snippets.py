"""Highlighted snippets: the original page text, HTML-escaped, with ``<mark>`` on matches.

Matching is done word by word on the folded form, so a page word is marked even when
only its folded form matched (``Nguyen`` typed, ``Nguyễn`` on the page, ``Nguyễn`` is
marked). Phrases are marked only where all their words appear in order.
"""

from __future__ import annotations

import html
import re

from search.query import ParsedQuery, fold_word, words
from sohoa.domain import vntext

SNIPPET_CHARS = 240
CONTEXT_BEFORE = 60
_SPACE = re.compile(r"\s+")


def make_snippet(text: str, parsed: ParsedQuery, max_chars: int = SNIPPET_CHARS) -> str:
    """A window of about ``max_chars`` characters around the densest run of matches."""
    text = vntext.nfc(text)
    tokens = words(text)
    marked = _marked_tokens([fold_word(w) for _, _, w in tokens], parsed)
    start, end = _window(text, tokens, sorted(marked), max_chars)
    pieces = ["…"] if start > 0 else []
    cursor = start
    for i in sorted(marked):
        t_start, t_end, _ = tokens[i]
        if t_start < start or t_end > end:
            continue
        pieces.append(_plain(text[cursor:t_start]))
        pieces.append(f"<mark>{html.escape(text[t_start:t_end])}</mark>")
        cursor = t_end
    pieces.append(_plain(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    return "".join(pieces).strip()


def _plain(segment: str) -> str:
    return html.escape(_SPACE.sub(" ", segment))


def _marked_tokens(folded_words: list[str], parsed: ParsedQuery) -> set[int]:
    marked: set[int] = set()
    for term in parsed.terms:
        n = len(term.folded)
        for i in range(len(folded_words) - n + 1):
            if tuple(folded_words[i : i + n]) == term.folded:
                marked.update(range(i, i + n))
    return marked


def _window(
    text: str, tokens: list[tuple[int, int, str]], marked: list[int], max_chars: int
) -> tuple[int, int]:
    """Character range to show: the start that covers the most marks, plus some context."""
    if len(text) <= max_chars:
        return 0, len(text)
    if not marked:
        return 0, _cut(text, tokens, 0, max_chars)
    best, best_count = marked[0], 0
    for i in marked:
        limit = tokens[i][0] + max_chars - CONTEXT_BEFORE
        count = sum(1 for j in marked if tokens[i][0] <= tokens[j][0] and tokens[j][1] <= limit)
        if count > best_count:
            best, best_count = i, count
    first_char = tokens[best][0]
    start = 0
    for t_start, _, _ in tokens:  # back up to a word boundary for context
        if t_start > first_char:
            break
        if first_char - t_start <= CONTEXT_BEFORE:
            start = t_start
            break
    return start, _cut(text, tokens, start, max_chars)


def _cut(text: str, tokens: list[tuple[int, int, str]], start: int, max_chars: int) -> int:
    """End of the last whole word that fits in ``max_chars`` from ``start``."""
    end = start
    for _, t_end, _ in tokens:
        if t_end <= start:
            continue
        if t_end - start > max_chars:
            break
        end = t_end
    return end if end > start else min(len(text), start + max_chars)
