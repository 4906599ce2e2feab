"""One file's prepared page texts, their folded twins and lines, and the field constructor.

Every reader gets the same ``Doc`` so offsets always refer to the same NFC page text.
"""

from __future__ import annotations

from sohoa.domain.extract import _model as m
from sohoa.domain.extract._layout import Segment
from sohoa.domain.extract._model import ExtractedField
from sohoa.domain.extract._text import Line, fold_lower, prepare_page, split_lines
from sohoa.domain.extract.dates import FoundDate


class Doc:
    """The page texts of one file and the helpers every reader needs."""

    def __init__(self, pages: list[str]) -> None:
        self.texts = [prepare_page(t) for t in pages]
        self.folds = [fold_lower(t) for t in self.texts]
        self.lines: list[Line] = split_lines(pages)

    def ranges(self, seg: Segment) -> list[tuple[int, int, int]]:
        """(page, lo, hi) character ranges the segment covers, page by page."""
        out: dict[int, list[int]] = {}
        for ln in self.lines[seg.start:seg.end]:
            lo_hi = out.setdefault(ln.page, [ln.start, ln.end])
            lo_hi[0], lo_hi[1] = min(lo_hi[0], ln.start), max(lo_hi[1], ln.end)
        return [(pg, lo, hi) for pg, (lo, hi) in sorted(out.items())]

    def field(self, name: str, value: str, page: int, s: int, e: int, conf: float, seg: Segment,
              *, valid: bool = True, problems: list[str] | None = None, role: str | None = None) -> ExtractedField:
        raw = self.texts[page - 1][s:e]
        return ExtractedField(name, value, raw, round(conf, 3), page, (s, e), valid, list(problems or []), role,
                              seg.index)


def date_field(doc: Doc, seg: Segment, name: str, pg: int, found: FoundDate, conf: float,
               role: str | None = None) -> ExtractedField:
    """A date candidate: unreadable calendar dates are kept, marked invalid, never coerced."""
    if found.value is None:
        return doc.field(name, found.text, pg, found.start, found.end, 0.05, seg, valid=False,
                         problems=[m.INVALID_DATE], role=role)
    problems = [m.OCR_REPAIRED] if found.repaired else []
    return doc.field(name, found.iso, pg, found.start, found.end, min(conf, 0.4) if found.repaired else conf,
                     seg, problems=problems, role=role)
