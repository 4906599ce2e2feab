"""Response schemas of the lists a staff screen shows (batches, documents, review queue)
and of a page's word boxes. Field names are the public JSON contract."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import BatchCounts, ErrorInfo, UtcDatetime
from api.schemas_records import FieldPublic, PageRange


class ListMeta(BaseModel):
    total: int = Field(description="Rows matching the filters, over all pages.")
    page: int
    size: int


class BatchSummaryPublic(BaseModel):
    id: str
    status: str = Field(description="processing while any document is queued or processing, else done")
    created_at: UtcDatetime
    agency_code: str | None
    procedure_code: str | None
    note: str | None
    created_by_key_id: int | None = Field(description="The API key that uploaded it, or null.")
    created_by_user_id: int | None = Field(None, description="The person who uploaded it, or null.")
    created_by_name: str | None = Field(description="Display name of the person, or name of the key, that "
                                        "uploaded it.")
    total: int = Field(description="Files uploaded to the batch (rejected ones included, as failed).")
    counts: BatchCounts
    pages_needing_review: int = Field(description="Pages of its documents below the OCR confidence threshold.")


class BatchListPublic(ListMeta):
    batches: list[BatchSummaryPublic]


class CodeUsePublic(BaseModel):
    value: str
    batches: int = Field(description="Batches the caller sees with this code.")
    last_used_at: UtcDatetime


class BatchCodesPublic(BaseModel):
    agency_codes: list[CodeUsePublic] = Field(description="Most recently used first (50 at most).")
    procedure_codes: list[CodeUsePublic]


class BatchOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_key: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="A key the client made up for "
                            "this batch (e.g. a UUID): the same key from the same caller opens the same batch.")
    agency_code: str | None = Field(None, max_length=64)
    procedure_code: str | None = Field(None, max_length=64)
    note: str | None = Field(None, max_length=2000)


class BatchOpenedPublic(BaseModel):
    batch_id: str
    created: bool = Field(description="False when the key had opened this batch before.")


class DocumentLinks(BaseModel):
    self: str
    thumbnail: str | None = Field(description="Image of the first page at thumbnail size; null before "
                                              "the document has pages.")


class DocumentListItemPublic(BaseModel):
    id: str
    filename: str
    mime_type: str
    status: str
    error: ErrorInfo | None
    pages_total: int
    pages_done: int
    pages_needing_review: int
    agency_code: str | None
    procedure_code: str | None
    uploaded_at: UtcDatetime
    batch_id: str = Field(description="The batch it was first uploaded in.")
    record_id: str | None
    doc_type: str | None = Field(description="From its record.")
    owner_name: str | None = Field(description="From its record.")
    doc_number: str | None
    issue_date: date | None
    review_state: str | None = Field(description="extracted | confirmed; null without a record.")
    links: DocumentLinks


class DocumentListPublic(ListMeta):
    documents: list[DocumentListItemPublic]


class FlaggedPagePublic(BaseModel):
    number: int
    confidence: float | None


class ReviewLinks(BaseModel):
    document: str
    image: str = Field(description="Image of the page to open first.")
    record: str | None


class ReviewItemPublic(BaseModel):
    document_id: str
    filename: str
    agency_code: str | None
    procedure_code: str | None
    batch_id: str
    uploaded_at: UtcDatetime
    reasons: list[str] = Field(description="low_confidence (flagged pages) and/or unconfirmed (a record no "
                                           "officer confirmed).")
    pages: list[FlaggedPagePublic] = Field(description="Pages below the OCR confidence threshold.")
    open_page: int = Field(description="The page to show first: the first flagged one of the part, else the "
                                       "part's first page (1 without a part).")
    record_id: str | None
    part_id: str | None = Field(None, description="The part of the file the record is (one paper document).")
    part_pages: PageRange | None = Field(None, description="The part's pages; flagged pages are those of the part.")
    review_state: str | None
    fields: dict[str, FieldPublic] = Field(description="The record's key fields with confidence and the page "
                                                       "and span they were read from.")
    links: ReviewLinks


class ReviewListPublic(ListMeta):
    items: list[ReviewItemPublic]


class WordPublic(BaseModel):
    text: str
    conf: float = Field(description="Tesseract's confidence 0-100.")
    left: int
    top: int
    width: int
    height: int
    block: int
    par: int
    line: int
    start: int | None = Field(None, description="Where the word starts in the page's text (the offsets of a "
                                                "field's span); null when the text does not hold it.")
    end: int | None = None


class PageWordsPublic(BaseModel):
    document_id: str
    page: int
    source: str | None = Field(description="ocr | text_layer; a text-layer page has no word boxes.")
    rotation: int = Field(description="Clockwise degrees the page was turned to read it (the image is "
                                      "served turned the same way).")
    skew: float | None
    width: int | None = Field(description="The page as the OCR read it (upright), in pixels.")
    height: int | None
    image_width: int | None = Field(description="Pixel space of the boxes below: the size of the page image "
                                                "asked with the same width/size (the page's size without them).")
    image_height: int | None
    words: list[WordPublic]
