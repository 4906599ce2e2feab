"""Where each paper document of an uploaded file starts: parts as page ranges.

A page starts a new part when the evidence at its top adds up (``THRESHOLD``): the national
heading weighs most, a title next, then the issuing body, a new document number and the
place-and-date line; page numbering says "first page" (``1/3``: for) or "continuation"
(``2/3``: strongly against), and a page after one numbered ``k/n`` with ``k < n`` is
expected to continue it. A repeated number (the same document's header on every page) is
evidence against. No single weak signal starts a part: a ``QUYẾT ĐỊNH:`` line at the top
of a decision's second page is a title-shaped line, not a new document.

A separator sheet (a page carrying the office's barcode, found by the page pipeline) ends
the part before it, starts the next one for certain and belongs to no part.

Pure functions over page texts: the worker, the officer's edits and the benchmark see the
same behaviour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sohoa.core.vocab import BoundaryReason, PartKind
from sohoa.domain.extract import COMPONENT
from sohoa.domain.parts.signals import PageSignals, read_signals

THRESHOLD = 0.45
WEIGHTS = {
    BoundaryReason.NATIONAL_HEADING: 0.45,
    BoundaryReason.TITLE: 0.35,
    BoundaryReason.ISSUING_BODY: 0.2,
    BoundaryReason.DOC_NUMBER: 0.15,
    BoundaryReason.ISSUE_DATE: 0.1,
    BoundaryReason.PAGE_NUMBERING: 0.3,
}
SAME_NUMBER = -0.3  # the number of the part being read, printed again: its next page
CONTINUATION_NUMBERED = -0.6  # "2/3" printed on the page
CONTINUATION_EXPECTED = -0.2  # the page before said "1/3" and this one says nothing


@dataclass(frozen=True)
class PageInput:
    """One page as the detector sees it; ``separator`` comes from the page pipeline."""

    text: str
    top_text: str | None = None
    separator: bool = False


@dataclass
class DetectedPart:
    """Pages ``first``..``last`` (1-based, inclusive) hold one paper document."""

    first: int
    last: int
    reasons: list[str]
    confidence: float
    doc_type: str | None = None
    kind: str = PartKind.RESULT
    number: str | None = field(default=None, repr=False)

    @property
    def pages(self) -> range:
        return range(self.first, self.last + 1)


def boundary_score(sig: PageSignals, part: DetectedPart, previous: PageSignals | None) -> tuple[float, list[str]]:
    """How strongly ``sig``'s page starts a new part after ``part``, and why."""
    found = {
        BoundaryReason.NATIONAL_HEADING: sig.heading,
        BoundaryReason.TITLE: sig.title is not None,
        BoundaryReason.ISSUING_BODY: sig.issuer,
        BoundaryReason.DOC_NUMBER: sig.number is not None and sig.number != part.number,
        BoundaryReason.ISSUE_DATE: sig.dated,
        BoundaryReason.PAGE_NUMBERING: sig.page_of is not None and sig.page_of[0] == 1,
    }
    reasons = [str(reason) for reason, present in found.items() if present]
    score = sum(WEIGHTS[BoundaryReason(r)] for r in reasons)
    if sig.number is not None and sig.number == part.number:
        score += SAME_NUMBER
    if sig.page_of is not None and sig.page_of[0] > 1:
        score += CONTINUATION_NUMBERED
    elif sig.page_of is None and previous is not None and previous.page_of is not None \
            and previous.page_of[0] < previous.page_of[1]:
        score += CONTINUATION_EXPECTED
    return round(score, 3), reasons


def confidence_of(score: float) -> float:
    """Just over the threshold is a guess (0.5); every further signal makes it surer."""
    return round(min(0.99, max(0.5, 0.5 + score - THRESHOLD)), 2)


def detect_parts(pages: Sequence[PageInput]) -> list[DetectedPart]:
    """The parts of a file, in page order; separator pages belong to none.

    A file of one document (or one with no signal at all) is one part from page 1.
    """
    parts: list[DetectedPart] = []
    current: DetectedPart | None = None
    previous: PageSignals | None = None
    after_separator = False
    for number, page in enumerate(pages, start=1):
        if page.separator:
            current, previous, after_separator = None, None, True
            continue
        sig = read_signals(page.text, page.top_text)
        if current is None:
            current = _start(number, sig, _first_reasons(sig, after_separator, bool(parts)))
            parts.append(current)
        else:
            score, reasons = boundary_score(sig, current, previous)
            if score >= THRESHOLD:
                current = _start(number, sig, reasons, confidence_of(score))
                parts.append(current)
            else:
                current.last = number
                current.number = current.number or sig.number
                if current.doc_type is None and sig.title is not None and not parts[:-1]:
                    _set_type(current, sig)  # a first page without a title (a cover, a failed page)
        previous, after_separator = sig, False
    return parts


def _first_reasons(sig: PageSignals, after_separator: bool, has_parts: bool) -> list[str]:
    head = BoundaryReason.SEPARATOR_SHEET if after_separator and has_parts else BoundaryReason.FIRST_PAGE
    _, reasons = boundary_score(sig, DetectedPart(0, 0, [], 0.0), None)
    return [str(head), *reasons]


def _start(number: int, sig: PageSignals, reasons: list[str], confidence: float = 1.0) -> DetectedPart:
    if reasons and reasons[0] == BoundaryReason.SEPARATOR_SHEET:
        confidence = 0.99
    part = DetectedPart(number, number, reasons, confidence, number=sig.number)
    _set_type(part, sig)
    return part


def _set_type(part: DetectedPart, sig: PageSignals) -> None:
    if sig.title is not None:
        part.doc_type = sig.title[0]
        part.kind = PartKind.COMPONENT if sig.title[1] == COMPONENT else PartKind.RESULT
