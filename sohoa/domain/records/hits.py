"""What a search hit says about its page: whose record it is and what kind of paper.

The index answers pages, each with the record it was indexed with (its part's); the API
reads the record (owner, type, number, issue date) here for just the hits of one answer, by
the part the page is in now, so it is always the record as it stands now (an officer's
correction or a moved boundary shows at once, even while the re-index waits for an
unreachable search engine).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core.models import Record


@dataclass(frozen=True)
class RecordSummary:
    record_id: str
    document_id: str
    owner_name: str | None
    doc_type: str | None
    doc_number: str | None
    issue_date: date | None
    issuing_body: str | None
    part_id: str | None


def record_summaries(session: Session, document_ids: Iterable[str]) -> dict[str, RecordSummary]:
    """Record id → summary of every record of these documents (one per part), in one query."""
    wanted = sorted(set(document_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Record.id, Record.document_id, Record.owner_name, Record.doc_type,
                                  Record.doc_number, Record.issue_date, Record.issuing_body, Record.part_id)
                           .where(Record.document_id.in_(wanted)).order_by(Record.id))
    return {row[0]: RecordSummary(*row) for row in rows}


def summary_of_page(summaries: dict[str, RecordSummary], document_id: str,
                    part_record_id: str | None) -> RecordSummary | None:
    """The record of the page's part; a page in no part: the document's record without a part
    (from before parts), if any — never another part's (as the index has it, see
    ``records.facets``)."""
    if part_record_id is not None and part_record_id in summaries:
        return summaries[part_record_id]
    return next((s for s in summaries.values() if s.document_id == document_id and s.part_id is None), None)
