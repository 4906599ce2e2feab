"""Response schemas (the public JSON contract). Families: ``XBase`` fields shared,
``XPublic`` what the API returns. Field names here are relied on by other systems."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sohoa.core.vocab import UploadState


def utc_instant(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC, so say so in the JSON."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(utc_instant)]


class ErrorInfo(BaseModel):
    code: str
    message: str
    detail: Any = None


class BatchDocumentBase(BaseModel):
    id: str | None = Field(description="Document id; null for a rejected file.")
    filename: str = Field(description="Display name sent by the client.")
    status: str = Field(description="queued | processing | indexed | failed")
    error: ErrorInfo | None = None
    duplicate: bool = Field(False, description="Same bytes as an existing document, which is reused.")


class UploadedDocumentPublic(BatchDocumentBase):
    duplicate_of_failed: bool = Field(False, description="The bytes are those of a document that failed: it "
                                      "is not processed again by itself; `retry_url` (admin) queues it again.")
    retry_url: str | None = Field(None, description="POST here (admin) to retry the failed document.")
    sha256: str | None = None
    size_bytes: int | None = None
    mime_type: str | None = None
    pages_total: int | None = None


class UploadPublic(BaseModel):
    """A resumable upload (``GET /api/v1/uploads/{id}``): progress, then what the file became."""

    id: str
    state: UploadState = Field(description="receiving | complete (being registered) | done | failed")
    offset: int = Field(description="Bytes stored so far.")
    length: int
    filename: str
    batch_id: str = Field(description="The batch the file joins (a new batch exists once its first file is done).")
    expires_at: UtcDatetime | None = Field(None, description="While receiving: removed if no bytes come by then.")
    document: UploadedDocumentPublic | None = Field(None, description="Once done: the document, a duplicate, "
                                                    "or the rejected file with its error, as a multipart upload "
                                                    "reports it.")
    error: ErrorInfo | None = Field(None, description="When failed: why the file could not join its batch.")


class BatchCreatedPublic(BaseModel):
    batch_id: str
    enqueued: bool = Field(description="False when the queue was unreachable; the reconciler catches up.")
    documents: list[UploadedDocumentPublic]


class BatchDocumentPublic(BatchDocumentBase):
    pages_total: int = 0
    pages_done: int = 0
    pages_needing_review: int = Field(0, description="Pages whose OCR confidence is below the review threshold.")
    waiting_for_index: bool = Field(False, description="Every page is read; the document waits for the search "
                                    "index (unreachable or busy), which the reconciler retries.")


class BatchCounts(BaseModel):
    queued: int = 0
    processing: int = 0
    indexed: int = 0
    failed: int = 0


class BatchPublic(BaseModel):
    id: str
    status: str = Field(description="processing while any document is queued or processing, else done")
    created_at: UtcDatetime
    agency_code: str | None
    procedure_code: str | None
    note: str | None
    total: int
    counts: BatchCounts
    documents: list[BatchDocumentPublic]


class PagePublic(BaseModel):
    number: int
    text: str | None
    confidence: float | None
    status: str
    source: str | None
    needs_review: bool
    word_count: int | None = None
    width: int | None = None
    height: int | None = None
    dpi: int | None = None
    rotation: int | None = None
    error: ErrorInfo | None = None


class PartPublic(BaseModel):
    """One paper document inside the file: a page range, why it starts there, what it is."""

    id: str
    index: int = Field(description="0-based order in the file.")
    first_page: int
    last_page: int
    kind: str = Field(description="result | component (form, application, ID-card copy)")
    doc_type: str | None
    reasons: list[str] = Field(description="Why the part starts here: first_page, separator_sheet, "
                               "national_heading, issuing_body, title, doc_number, issue_date, page_numbering, "
                               "officer.")
    confidence: float = Field(description="0-1: how sure the boundary is (1.0 first page or officer).")
    source: str = Field(description="detected | officer")
    result_part_id: str | None = Field(description="For a component: the result part it came with.")
    record_id: str | None


class PartRefPublic(BaseModel):
    """Which part of its file a search hit falls in."""

    id: str
    index: int
    first_page: int
    last_page: int
    kind: str
    record_id: str | None


class DocumentPublic(BaseModel):
    id: str
    filename: str
    sha256: str
    size_bytes: int
    mime_type: str
    status: str
    error: ErrorInfo | None
    index_state: str
    index_error: str | None
    pages_total: int
    pages_done: int
    pages_needing_review: int = Field(0, description="Pages whose OCR confidence is below the review threshold.")
    agency_code: str | None
    procedure_code: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    processed_at: UtcDatetime | None
    indexed_at: UtcDatetime | None
    batch_ids: list[str]
    parts: list[PartPublic] = Field(description="The paper documents in the file, in page order.")
    pages: list[PagePublic]


class SearchHitPublic(BaseModel):
    document_id: str
    page: int
    score: float
    snippet: str = Field(description="HTML-escaped text with <mark> around matches.")
    filename: str | None = None
    search_after: str | None = Field(None, description="Opaque: pass as search_after for the hits after this one.")
    part: PartRefPublic | None = Field(None, description="The part of the file the page belongs to.")
    thumbnail: str = Field(description="Image of the hit's page at thumbnail size.")
    # Who and what the page is: its part's record (a page in no part: the file's record without a
    # part, from before parts), when fields were extracted.
    record_id: str | None = None
    owner_name: str | None = Field(None, description="The person (or enterprise) the record is about.")
    doc_type: str | None = None
    doc_number: str | None = Field(None, description="Number and symbol, e.g. 123/QĐ-UBND.")
    issue_date: date | None = None
    issuing_body: str | None = None


class FacetBucketPublic(BaseModel):
    value: str = Field(description="The value (issue years as \"2023\", needs_review as \"true\"/\"false\"); "
                                   "pass it back as that filter to narrow the search.")
    count: int = Field(description="Matching pages with it.")


class SearchResultPublic(BaseModel):
    total: int = Field(description="Matching pages; with total_is_capped, at least this many.")
    total_is_capped: bool = Field(False, description="More pages match than are counted (1 000): show "
                                  "\"1 000+\".")
    page: int
    size: int
    hits: list[SearchHitPublic]
    next_search_after: str | None = Field(None, description="Opaque: pass as search_after for the next page "
                                          "(no page limit); null when this page is the last.")
    facets: dict[str, list[FacetBucketPublic]] | None = Field(
        None, description="With facets=true: per field, the 20 most frequent values among all matching pages.")


class PartChangePublic(BaseModel):
    action: str = Field(description="move | merge | split")
    before: list[list[int]] = Field(description="[[first, last], ...] before the change")
    after: list[list[int]]
    detail: dict[str, Any] | None = Field(description="Records removed by the change, with their corrections.")
    key_id: int | None
    user_id: int | None
    at: UtcDatetime
    note: str | None


class DocumentPartsPublic(BaseModel):
    document_id: str
    parts: list[PartPublic]
    history: list[PartChangePublic] = Field(default_factory=list)


class SplitPart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at_page: int = Field(ge=2, description="The first page of the new part.")
    note: str | None = Field(None, max_length=2000)


class MovePart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_page: int = Field(ge=2, description="The part's new first page (the part before ends before it).")
    note: str | None = Field(None, max_length=2000)


class MergeParts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=2000)


class ComponentHealth(BaseModel):
    status: str = Field(description="ok | degraded | error")
    error: str | None = Field(None, description="Why it is not ok.")
    detail: dict[str, Any] | None = Field(None, description="disk: free MB per path; workers: paused workers "
                                          "and documents waiting for a retry; fixity: problem counts, last run.")


class HealthPublic(BaseModel):
    status: str = Field(description="error (503) if a component is down, degraded (200) if one needs an "
                        "operator, else ok")
    components: dict[str, ComponentHealth]
