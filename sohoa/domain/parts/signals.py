"""What the top of one page says about whether a paper document starts there.

Each paper document of a dossier starts on a new page with the issuing body block and the
national heading (forms often carry the heading only), then its title, number and date;
later pages carry none of these and may say ``Trang 2/3`` (DOMAIN.md, "Dossiers and
stacks"). The signals are read from the page's first lines: Tesseract writes text in
reading order, so the header block comes first. When the OCR word boxes gave the lines
printed in the top part of the page (``top_text``), those are read instead, so a header
the reading order put late is still seen at the top. Matching is on folded text
(diacritics off), so a tone-mark slip of the OCR changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sohoa.domain.extract import (
    MOTTO,
    MOTTO2,
    SO_LABEL,
    Line,
    classify_title,
    find_dates,
    is_issuer_line,
    looks_like_title,
    more_specific,
    parse_doc_no,
    split_lines,
)

HEADING_LINES = 10  # the national heading sits in the first lines of a page
ISSUER_LINES = 6
TITLE_LINES = 14
# "Trang 2/3", "Trang 2 / 3", "tr. 2/3", or a line that is only "2/3" / "- 2/3 -" (never a date).
_PAGE_OF = re.compile(r"(?<![\w/])(?:trang|tr\.)\s*(\d{1,3})\s*/\s*(\d{1,3})(?![\d/])")
_PAGE_OF_LINE = re.compile(r"^\W{0,3}(\d{1,2})\s*/\s*(\d{1,2})\W{0,3}$")
_PLACE_DATE = re.compile(r"^[^\d,:]{2,40},\s*(?:ngay|\d)")


@dataclass(frozen=True)
class PageSignals:
    """The boundary evidence of one page; ``page_of`` is (this page, pages) as printed."""

    heading: bool = False
    issuer: bool = False
    title: tuple[str, str] | None = None  # (doc_type, class) of a title line near the top
    number: str | None = None  # the document number printed in the header
    dated: bool = False  # a place-and-date line in the header
    page_of: tuple[int, int] | None = None
    blank: bool = True


def read_signals(text: str, top_text: str | None = None) -> PageSignals:
    """The signals of a page from its text (and the top-of-page lines when known)."""
    lines = [ln for ln in split_lines([text]) if ln.text.strip()]
    top = [ln for ln in split_lines([top_text]) if ln.text.strip()] if top_text else lines
    return PageSignals(
        heading=any(_is_heading(ln) for ln in top[:HEADING_LINES]),
        issuer=any(is_issuer_line(ln) for ln in top[:ISSUER_LINES]),
        title=_title(top[:TITLE_LINES]),
        number=_number(top[:TITLE_LINES]),
        dated=any(_PLACE_DATE.search(ln.folded.strip()) and find_dates(ln.folded) for ln in top[:TITLE_LINES]),
        page_of=page_numbering(lines),
        blank=not lines,
    )


def _is_heading(line: Line) -> bool:
    return bool(MOTTO.search(line.folded) or MOTTO2.search(line.folded))


def _title(lines: list[Line]) -> tuple[str, str] | None:
    """The first capitalised line naming a known type (a title wrapped over two lines too)."""
    for k, ln in enumerate(lines):
        if not looks_like_title(ln.text) or _is_heading(ln) or is_issuer_line(ln):
            continue
        kind = classify_title(ln.folded)
        if k + 1 < len(lines) and looks_like_title(lines[k + 1].text) and not _is_heading(lines[k + 1]):
            joined = classify_title(f"{ln.folded} {lines[k + 1].folded}")  # a title wrapped over two lines
            if joined is not None and (kind is None or more_specific(joined[0], kind[0])):
                kind = joined
        if kind is not None:
            return kind
    return None


def _number(lines: list[Line]) -> str | None:
    for ln in lines:
        folded = ln.folded
        for mo in SO_LABEL.finditer(folded):
            if folded[: mo.start()].rstrip().endswith(("quyen", "ban")):
                continue  # "Quyển số: 01/2023" (register book), "bản số": not the document's number
            num = parse_doc_no(ln.text, mo.end())
            if num is not None:
                return num.value
    return None


def page_numbering(lines: list[Line]) -> tuple[int, int] | None:
    """``(k, n)`` from "Trang k/n" anywhere, or a line that is only "k/n" (k ≤ n)."""
    for ln in lines:
        mo = _PAGE_OF.search(ln.folded) or _PAGE_OF_LINE.match(ln.folded.strip())
        if mo:
            k, n = int(mo.group(1)), int(mo.group(2))
            if 1 <= k <= n <= 99:
                return k, n
    return None
