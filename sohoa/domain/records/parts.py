"""A document's parts in the database: drawn by the detector, kept when an officer drew them.

Part rows are reused wherever a page range survives (same range first, else the one it
overlaps most), so a record keeps its id and its corrections when its part's boundaries
move; parts left over are deleted with their records (the database cascades), unless one of
those records carries an officer's correction or confirmation: then the boundaries already
stored are kept (an officer may redraw them; nothing they did disappears on a re-read).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session

from sohoa.core.models import Page, Part, Record, RecordCorrection, table_of
from sohoa.core.vocab import PageStatus, PartSource, ReviewState
from sohoa.domain.parts import DetectedPart, PageInput, detect_parts

Span = tuple[int, int]

# Built once (a worker reads them for every document it finishes); parameters bound per call.
_PAGES = table_of(Page)
_PAGE_INPUTS = select(_PAGES.c.number, _PAGES.c.text, _PAGES.c.status, _PAGES.c.separator,
                      _PAGES.c.top_text).where(_PAGES.c.document_id == bindparam("document"))
_PARTS_OF = select(Part).where(Part.document_id == bindparam("document")).order_by(Part.position)


def page_inputs(session: Session, document_id: str) -> list[PageInput]:
    """Every page of the document in order (a page not read is blank: numbers stay aligned)."""
    session.flush()  # a Core read: the session's pending pages are read too, as the ORM's autoflush did
    rows = session.execute(_PAGE_INPUTS, {"document": document_id}).all()
    total = max((row.number for row in rows), default=0)
    pages = [PageInput("")] * total
    for row in rows:
        done = row.status == PageStatus.DONE
        pages[row.number - 1] = PageInput(row.text or "" if done else "", row.top_text if done else None,
                                          bool(row.separator) and done)
    return pages


def document_parts(session: Session, document_id: str) -> list[Part]:
    return list(session.scalars(_PARTS_OF, {"document": document_id}))


def sync_detected_parts(session: Session, document_id: str,
                        pages: Sequence[PageInput]) -> tuple[list[Part], set[str]]:
    """The document's parts: as an officer drew them, else as detected on ``pages`` now; and
    the ids of the parts this call created (no candidates nor record can point at them yet)."""
    existing = document_parts(session, document_id)
    if any(p.source == PartSource.OFFICER for p in existing):
        return existing, set()
    detected = detect_parts(pages)
    spans = [(d.first, d.last) for d in detected]
    if _would_lose_officer_work(session, existing, spans):
        return existing, set()  # the pages read differently now, but an officer's work is never dropped silently
    parts = place_parts(session, document_id, existing, spans, flush=False)
    for part, found in zip(parts, detected, strict=True):
        _describe(part, found)
    session.flush()  # a new part is inserted described (one INSERT, not an INSERT and an UPDATE)
    return parts, {p.id for p in parts} - {p.id for p in existing}


def _would_lose_officer_work(session: Session, existing: list[Part], spans: Sequence[Span]) -> bool:
    """Some part the new boundaries leave out has a record an officer corrected or confirmed."""
    kept = set(match_spans([(p.first_page, p.last_page) for p in existing], spans))
    dropped = [p.id for k, p in enumerate(existing) if k not in kept]
    if not dropped:
        return False
    touched = select(Record.id).where(Record.part_id.in_(dropped), or_(
        Record.review_state == ReviewState.CONFIRMED,
        exists().where(RecordCorrection.record_id == Record.id)))
    return session.scalar(touched.limit(1)) is not None


def _describe(part: Part, found: DetectedPart) -> None:
    part.reasons, part.confidence = list(found.reasons), found.confidence
    part.doc_type, part.kind, part.source = found.doc_type, found.kind, PartSource.DETECTED


def match_spans(old: Sequence[Span], new: Sequence[Span]) -> list[int | None]:
    """For each new span, the index of the old span it takes over (None: a new part).

    Identical ranges first; then, in page order, the free old span overlapping most (on a
    tie the one starting on the same page, else the earlier one: a merge keeps the first
    part's record).
    """
    taken: set[int] = set()
    out: list[int | None] = [None] * len(new)
    for i, span in enumerate(new):
        if span in old and old.index(span) not in taken:
            out[i] = old.index(span)
            taken.add(old.index(span))
    for i, (first, last) in enumerate(new):
        if out[i] is not None:
            continue
        best: tuple[int, bool, int] | None
        overlaps = [(min(last, b) - max(first, a) + 1, a == first, -j) for j, (a, b) in enumerate(old)
                    if j not in taken]
        best = max((o for o in overlaps if o[0] > 0), default=None)  # (pages shared, same start, -old index)
        if best is not None:
            out[i] = -best[2]
            taken.add(-best[2])
    return out


def place_parts(session: Session, document_id: str, existing: list[Part], spans: Sequence[Span], *,
                flush: bool = True) -> list[Part]:
    """Part rows for ``spans`` in order, reusing ``existing`` ones (see ``match_spans``);
    flushed unless ``flush`` is False (the caller flushes once it has described them)."""
    matches = match_spans([(p.first_page, p.last_page) for p in existing], spans)
    kept = {k for k in matches if k is not None}
    for k, old in enumerate(existing):
        if k not in kept:
            session.delete(old)
    for old in existing:  # free every position first: (document, position) is unique
        old.position = -1 - old.position - len(existing)
    session.flush()
    parts: list[Part] = []
    for i, ((first, last), match) in enumerate(zip(spans, matches, strict=True)):
        part = existing[match] if match is not None else Part(document_id=document_id, reasons=[], confidence=1.0)
        if match is None:
            session.add(part)
        part.position, part.first_page, part.last_page = i, first, last
        parts.append(part)
    if flush:
        session.flush()
    return parts
