"""Boilerplate: the words every administrative page carries, whatever it is about.

The national motto (``CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM`` / ``Độc lập - Tự do - Hạnh
phúc``), a bare issuing-body header (``ỦY BAN NHÂN DÂN``), signature titles (``TM. ỦY BAN
NHÂN DÂN``, ``CHỦ TỊCH``, ``TRƯỞNG PHÒNG``), ``(Bản sao)``, ``Trang 2/3``. Folded, their
syllables are common name syllables (Hòa, Phúc, Hạnh, Tự, Lập, Dân...), so a page where they
only appear in the motto must not rank like a page naming the person: search indexes these
spans apart and weighs them almost nothing (they still match, for recall).

Patterns are matched on ``vntext.fold(text).lower()``, which keeps one character per NFC
character, so spans found there are spans of the original text. They forgive OCR's usual
slips (tone marks, ``nghia`` read ``nghla``, missing spaces, any punctuation between the
three words of the independence line). The motto is cut out wherever it stands, because
OCR often reads it on one line with the issuing body of the left column; the other
patterns must fill a whole line, so a sentence that mentions ``chủ tịch`` keeps its words.
"""

from __future__ import annotations

import re

from sohoa.domain.vntext import fold

MOTTO = re.compile(r"cong\s*hoa\s*xa\s*hoi\s*chu\s*ngh[il]a(?:\s*viet\s*nam)?", re.IGNORECASE)
MOTTO2 = re.compile(r"doc\s*lap\s*\W*\s*tu\s*do\s*\W*\s*hanh\s*phuc", re.IGNORECASE)
_LINES = (
    r"(?:tm|kt|tl|ttl)?\W*(?:uy\s*ban\s*nhan\s*dan|ubnd)",  # a bare issuing-body header / "on behalf of"
    r"(?:kt|tm|tl)?\W*(?:pho\s*)?(?:chu\s*tich|truong\s*phong|giam\s*doc|truong\s*ban)",  # signature titles
    r"nguoi\s*ky(?:\s*trich\s*luc|\s*giay\s*chung\s*nhan)?",
    r"\(?\s*ban\s*sao\s*\)?",
    r"trang\s*\d+(?:\s*/\s*\d+)?",
    r"[\W_]+",  # rules, dashes and dots under a heading
)
_WHOLE_LINE = re.compile(r"^[ \t]*(?:" + "|".join(_LINES) + r")[ \t.:]*$", re.MULTILINE | re.IGNORECASE)

Span = tuple[int, int]


def boilerplate_spans(folded: str) -> list[Span]:
    """Sorted, non-overlapping ``(start, end)`` spans of boilerplate in ``folded`` (a text
    after ``vntext.fold``, any case). The motto is found first and blanked, so a header OCR
    read on the motto's line (``ỦY BAN NHÂN DÂN  CỘNG HÒA…``) is then a whole line too."""
    motto = sorted(m.span() for pattern in (MOTTO, MOTTO2) for m in pattern.finditer(folded))
    masked = folded
    for start, end in motto:  # same length: line breaks where the motto was
        masked = masked[:start] + "\n" + " " * (end - start - 1) + masked[end:]
    lines = [m.span() for m in _WHOLE_LINE.finditer(masked) if masked[m.start():m.end()].strip()]
    merged: list[Span] = []
    for start, end in sorted(motto + lines):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def cut(text: str, spans: list[Span]) -> tuple[str, list[str]]:
    """``text`` without ``spans`` (a line break in place of each, so no two words join across
    it), and the pieces cut out."""
    if not spans:
        return text, []
    body: list[str] = []
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        body.append(text[position:start])
        pieces.append(text[start:end])
        position = end
    body.append(text[position:])
    return "\n".join(body), pieces


def split_boilerplate(text: str) -> tuple[str, str]:
    """``(body, boilerplate)`` of NFC ``text``."""
    body, pieces = cut(text, boilerplate_spans(fold(text)))
    return body, "\n".join(pieces)
