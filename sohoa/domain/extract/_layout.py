"""Page layout of an administrative document: where one document starts, its header block,
its title line and its issuing body.

Every Vietnamese administrative document carries the national motto exactly once, at the top;
the issuing body sits left of it (OCR puts it before, after or on the same line) and the
title follows. So a second motto in one file starts a second document (a clerk scanned a
stack as one PDF), unless the title says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sohoa.domain.extract._text import Line, fold_lower
from sohoa.domain.extract.doctype import classify_title, looks_like_title, more_specific
from sohoa.domain.vntext import canonical_tones

MOTTO = re.compile(r"cong\s*hoa\s*xa\s*hoi\s*chu\s*ngh[il]a(?:\s*viet\s*nam)?")
MOTTO2 = re.compile(r"doc\s*lap\s*\W*\s*tu\s*do\s*\W*\s*hanh\s*phuc")
SO_LABEL = re.compile(r"(?:^|(?<=\s))so\s*[:.]?\s*(?=[0-9oil|sb]{1,6}\s*/|[0-9][0-9a-z]{4,})", re.IGNORECASE)
_ISSUER_START = re.compile(
    r"^(?:uy ban|ubnd|hdnd|hoi dong|phong|so |xa |phuong|thi tran|huyen|quan |thi xa|thanh pho|"
    r"tinh|bo |cuc|chi cuc|tong cuc|van phong|trung tam|ban |cong an|toa an|vien |kho bac|"
    r"chi nhanh|doi |bo phan|dac khu)\b"
)
_UNIT = r"(?:xa(?! hoi)|phuong|thi tran|huyen|quan|thi xa|thanh pho|tinh|dac khu)"
_UNIT_START = re.compile(rf"^{_UNIT}\b")
_HAS_UNIT = re.compile(rf"(?<![\w]){_UNIT}\b")
_RULE = re.compile(r"^[\W_]{3,}$")  # the underline OCR reads under a header body: "-------", "———"


def _squash(folded: str) -> str:
    """Folded text with runs of spaces collapsed: scans double the spaces in header lines."""
    return re.sub(r"\s+", " ", folded).strip()


@dataclass(frozen=True)
class Segment:
    """One document inside a file: ``lines[start:end]`` of the file's line list."""

    index: int
    start: int
    end: int
    motto: int | None  # line index of the motto, if found
    title: int | None  # line index of the title, if found
    doc_type: tuple[str, str] | None

    @property
    def header_end(self) -> int:
        """First body line: after the title (plus the number line some forms print under it)."""
        if self.title is not None:
            return self.title + 1
        return min(self.end, (self.motto if self.motto is not None else self.start) + 6)


def nonblank(lines: list[Line], begin: int, end: int, count: int) -> list[Line]:
    """Up to ``count`` non-empty lines from ``begin`` (OCR output is full of blank lines)."""
    out: list[Line] = []
    for ln in lines[begin:end]:
        if ln.text.strip():
            out.append(ln)
            if len(out) == count:
                break
    return out


def is_issuer_line(line: Line) -> bool:
    text = _squash(line.folded)
    return looks_like_title(line.text) and bool(_ISSUER_START.match(text)) and not MOTTO.search(text)


def _motto_lines(lines: list[Line]) -> list[int]:
    found: list[int] = []
    for ln in lines:
        if MOTTO.search(ln.folded) or (MOTTO2.search(ln.folded) and not any(
            i >= ln.index - 2 and lines[i].page == ln.page for i in found
        )):
            found.append(ln.index)
    return found


def _walk_back(lines: list[Line], anchor: int, floor: int) -> int:
    """First line of the header block that ends at the motto line ``anchor``."""
    start = anchor
    i = anchor - 1
    while i >= floor and anchor - i <= 5 and lines[i].page == lines[anchor].page:
        ln = lines[i]
        blank = not ln.text.strip() or _RULE.match(ln.text.strip())
        if SO_LABEL.match(ln.folded.strip()) or is_issuer_line(ln) or blank:
            start = i if ln.text.strip() else start
            i -= 1
            continue
        break
    return start


def _title_like(ln: Line) -> bool:
    return looks_like_title(ln.text) and not MOTTO.search(ln.folded) and not is_issuer_line(ln)


def _find_title(lines: list[Line], begin: int, end: int) -> tuple[int | None, tuple[str, str] | None]:
    """The first title line; a title wrapped over two lines (``GIẤY XÁC NHẬN`` / ``TÌNH TRẠNG
    HÔN NHÂN``) is read whole when that names a more specific type."""
    cands = nonblank(lines, begin, end, 13)
    for k, ln in enumerate(cands[:12]):
        if not _title_like(ln):
            continue
        kind = classify_title(ln.folded)
        nxt = cands[k + 1] if k + 1 < len(cands) else None
        # the second half may look like a body line once folded ("TÌNH TRẠNG" ~ "TỈNH")
        if nxt is not None and nxt.page == ln.page and looks_like_title(nxt.text) and not MOTTO.search(nxt.folded):
            joined = classify_title(f"{ln.folded} {nxt.folded}")
            if joined and (kind is None or more_specific(joined[0], kind[0])):
                kind = joined
        if kind:
            return ln.index, kind
    return None, None


def segments(lines: list[Line]) -> list[Segment]:
    """Split a file's lines into documents, one per national motto (at least one)."""
    mottos = _motto_lines(lines)
    starts: list[tuple[int, int | None]] = []
    for k, anchor in enumerate(mottos):
        floor = starts[-1][1] + 1 if starts and starts[-1][1] is not None else 0
        start = 0 if k == 0 else _walk_back(lines, anchor, floor)
        starts.append((start, anchor))
    if not starts:
        starts = [(0, None)]
    out = []
    for k, (begin, motto) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        title, kind = _find_title(lines, motto if motto is not None else begin, end)
        out.append(Segment(k, begin, end, motto, title, kind))
    return out


def issuer_parts(lines: list[Line], seg: Segment) -> list[tuple[Line, int, int]]:
    """Pieces of the issuing body before the title: (line, start, end) offsets in the line.

    OCR of the two-column header may put the body and the motto on one line
    (``ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI...``); the part before the motto is kept.
    """
    stop = seg.title if seg.title is not None else seg.header_end
    out = []
    for ln in lines[seg.start:stop]:
        if is_issuer_line(ln):
            out.append((ln, 0, len(ln.text.rstrip())))
            continue
        motto = MOTTO.search(ln.folded) or MOTTO2.search(ln.folded)
        head = ln.text[: motto.start()].rstrip(" -–:") if motto else ""
        if head and looks_like_title(head) and _ISSUER_START.match(_squash(ln.folded[: len(head)])):
            out.append((ln, 0, len(head)))
    return out


def issuer_value(parts: list[str]) -> str:
    """Join header lines into one body name: ``ỦY BAN NHÂN DÂN XÃ TRÀ ĐỐC``, levels with `` / ``.

    A line that only names a territorial unit (``TỈNH QUẢNG NAM``) completes the line above
    when that one names none (``ỦY BAN NHÂN DÂN``, ``SỞ TÀI CHÍNH``): one body wrapped over
    two lines, not two levels. Dashes get one space each side (``TÀI CHÍNH-KẾ HOẠCH``).
    """
    out: list[str] = []
    for raw in parts:
        text = canonical_tones(re.sub(r"\s+", " ", raw).strip())
        text = re.sub(r"\s*[-–—]\s*", " - ", text)
        text = re.sub(r"^UBND\b", "ỦY BAN NHÂN DÂN", text)
        text = re.sub(r"^HĐND\b", "HỘI ĐỒNG NHÂN DÂN", text)
        if out and _UNIT_START.match(fold_lower(text)) and not _HAS_UNIT.search(fold_lower(out[-1])):
            out[-1] = f"{out[-1]} {text}"
        else:
            out.append(text)
    return " / ".join(out)
