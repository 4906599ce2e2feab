"""Highlighted snippets: the original page text, HTML-escaped, with ``<mark>`` on matches.

Matching is done on the folded form, so a page word is marked even when only its folded
form matched (``Nguyen`` typed, ``Nguyễn`` on the page, ``Nguyễn`` is marked). Phrases are
marked only where all their words appear in order.

The matches are found by a regular expression over ``vntext.fold(text)`` (one character per
character, so its spans are the original's), not word by word in Python: a snippet is made
for every hit of every answer.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache

from search.query import ParsedQuery
from sohoa.domain import vntext

SNIPPET_CHARS = 240
CONTEXT_BEFORE = 60
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"(?<![^\W_])[^\W_]+")  # a whole word: not preceded by a letter or digit
_LETTER = re.compile(r"[^\W_]")
Span = tuple[int, int]


def make_snippet(text: str, parsed: ParsedQuery, max_chars: int = SNIPPET_CHARS,
                 folded: str | None = None) -> str:
    """A window of about ``max_chars`` characters around the densest run of matches
    (``folded``: ``vntext.fold(text).lower()`` when the caller has it already)."""
    text = vntext.nfc(text)
    marks = _marks(text, parsed, folded)
    start, end = (0, len(text)) if len(text) <= max_chars else _window(text, marks, max_chars)
    pieces = ["…"] if start > 0 else []
    cursor = start
    for m_start, m_end in marks:
        if m_start < start or m_end > end:
            continue
        pieces.append(_plain(text[cursor:m_start]))
        pieces.append(f"<mark>{html.escape(text[m_start:m_end])}</mark>")
        cursor = m_end
    pieces.append(_plain(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    return "".join(pieces).strip()


def _plain(segment: str) -> str:
    return html.escape(_SPACE.sub(" ", segment))


@lru_cache(maxsize=1024)
def _pattern(words: tuple[str, ...], ignore_case: bool) -> re.Pattern[str]:
    """The folded words one after the other, anything but letters between, the last one
    whole. It starts with a literal, so ``re`` finds candidates by a fast scan (a leading
    look-behind made it ~50x slower); ``_whole_matches`` checks the start of the first word."""
    body = r"[\W_]+".join(re.escape(w) for w in words)
    return re.compile(rf"{body}(?![^\W_])", re.IGNORECASE if ignore_case else 0)


def _whole_matches(pattern: re.Pattern[str], folded: str) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` that start a word (not preceded by a letter or digit)."""
    pos = 0
    while (match := pattern.search(folded, pos)) is not None:
        start = match.start()
        if start == 0 or not _LETTER.match(folded, start - 1):
            yield match
            pos = match.end()
        else:  # inside a word: a whole match may still begin within this one
            pos = start + 1


def lower_fold(text: str) -> str:
    """``vntext.fold(text).lower()``, what marks are found in (same length as ``text``, or
    the folded text itself when lower-casing would change a length: then matched ignoring case)."""
    folded = vntext.fold(text)
    lowered = folded.lower()
    return lowered if len(lowered) == len(folded) else folded


@lru_cache(maxsize=1)
def _same_when_folded() -> dict[str, str]:
    """Folded lower-case letter → a character class of every letter that folds to it."""
    variants: dict[str, set[str]] = {}
    for code in range(0x2000):  # Latin, with every precomposed Vietnamese letter
        char = chr(code)
        base = vntext.fold(char).lower()
        if len(base) == 1 and base.isalnum():
            variants.setdefault(base, {base}).update({char, char.lower(), char.upper()} - {""})
    return {base: "[" + re.escape("".join(sorted(c for c in chars if len(c) == 1))) + "]"
            for base, chars in variants.items()}


@lru_cache(maxsize=1024)
def _raw_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """The folded ``words`` as a pattern over the text itself (any case, any diacritics, marks
    left uncomposed too): checking a phrase needs no folded copy of the page."""
    classes = _same_when_folded()
    marks = "[\u0300-\u036f]*"
    body = r"[\W_]+".join("".join(classes.get(c, re.escape(c)) + marks for c in w) for w in words)
    return re.compile(rf"{body}(?![^\W_])")


def has_raw_phrase(text: str, words: tuple[str, ...]) -> bool:
    """The folded ``words`` stand one after the other in ``text`` (not folded; any case)."""
    return next(_whole_matches(_raw_pattern(words), text), None) is not None


def has_phrase(folded: str, words: tuple[str, ...]) -> bool:
    """The words stand one after the other in ``folded`` (from ``lower_fold``)."""
    ignore_case = folded != folded.lower()
    if not ignore_case and words[0] not in folded:
        return False
    return next(_whole_matches(_pattern(words, ignore_case), folded), None) is not None


def _marks(text: str, parsed: ParsedQuery, folded: str | None = None) -> list[Span]:
    """Sorted, non-overlapping spans of the words to mark."""
    if not parsed.terms:
        return []
    folded = lower_fold(text) if folded is None else folded
    ignore_case = folded != folded.lower()  # only when lower-casing would have changed a length
    spans: set[Span] = set()
    for term in parsed.terms:
        if not ignore_case and term.folded[0] not in folded:
            continue
        for match in _whole_matches(_pattern(term.folded, ignore_case), folded):
            if len(term.folded) == 1:
                spans.add(match.span())
            else:
                spans.update(w.span() for w in _WORD.finditer(folded, match.start(), match.end()))
    ordered: list[Span] = []
    for span in sorted(spans):
        if not ordered or span[0] >= ordered[-1][1]:
            ordered.append(span)
    return ordered


def _window(text: str, marks: list[Span], max_chars: int) -> Span:
    """Character range to show: the start that covers the most marks, plus some context."""
    if not marks:
        return 0, _cut(text, 0, max_chars)
    best, best_count, right = 0, 0, 0
    for i, (m_start, _) in enumerate(marks):  # two pointers: marks ending within the reach of mark i
        limit = m_start + max_chars - CONTEXT_BEFORE
        right = max(right, i)
        while right + 1 < len(marks) and marks[right + 1][1] <= limit:
            right += 1
        count = right - i + 1 if marks[i][1] <= limit else 0
        if count > best_count:
            best, best_count = i, count
    first_char = marks[best][0]
    word = _WORD.search(text, max(0, first_char - CONTEXT_BEFORE), first_char + 1)
    start = word.start() if word else 0  # back up to a word boundary for context
    return start, _cut(text, start, max_chars)


def _cut(text: str, start: int, max_chars: int) -> int:
    """End of the last whole word that fits in ``max_chars`` from ``start``."""
    stop = min(len(text), start + max_chars)
    end = stop
    if end < len(text) and text[end].isalnum():  # the cut falls inside a word: leave it out
        while end > start and text[end - 1].isalnum():
            end -= 1
    while end > start and not text[end - 1].isalnum():  # back over separators to a word's end
        end -= 1
    return end if end > start else stop
