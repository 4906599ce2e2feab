"""Where each OCR word sits in its page's text, so a field's span (character offsets in the
page's NFC text) can be shown as boxes on the page image.

The page text and the word boxes come out of the same Tesseract pass, words in reading
order, so walking the text once finds each word after the previous one. A word the text
does not hold near that point (normalized differently, dropped as noise) gets no offsets
and the walk goes on from where it was.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

LOOKAHEAD = 200  # characters past the previous word in which the next one must start


def word_offsets(text: str, words: Sequence[str]) -> list[tuple[int, int] | None]:
    """``(start, end)`` in ``text`` for each of ``words``, or None where not found."""
    found: list[tuple[int, int] | None] = []
    cursor = 0
    for word in words:
        needle = unicodedata.normalize("NFC", word).strip()
        at = text.find(needle, cursor, cursor + LOOKAHEAD + len(needle)) if needle else -1
        if at < 0:
            found.append(None)
            continue
        found.append((at, at + len(needle)))
        cursor = at + len(needle)
    return found
