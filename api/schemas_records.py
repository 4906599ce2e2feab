"""Response and request schemas for records, keys and the audit log (public JSON contract)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import UtcDatetime


class FieldPublic(BaseModel):
    value: str | None
    confidence: float | None = Field(description="0-1; 1.0 for a value an officer set.")
    page: int | None = None
    span: list[int] | None = Field(None, description="[start, end) in the page's NFC text.")
    source: Literal["extracted", "officer", "upload", "derived", "none"]
    problems: list[str] = Field(default_factory=list)


class CandidatePublic(BaseModel):
    name: str
    role: str | None
    value: str | None
    raw: str | None
    confidence: float
    page: int | None
    span: list[int] | None
    valid: bool
    problems: list[str]
    segment: int
    chosen: bool


class SubjectPublic(BaseModel):
    role: str
    person_id: str | None
    id_type: str | None
    name: str | None


class PageRange(BaseModel):
    first: int = Field(description="First page of the part in the file (1-based).")
    last: int = Field(description="Last page, inclusive.")


class RecordLinks(BaseModel):
    original: str
    searchable_pdf: str | None = Field(description="Null until the searchable PDF has been produced.")
    self: str


class RecordPublic(BaseModel):
    id: str
    document_id: str
    part_id: str | None = Field(description="The part of the file this record is (one paper document).")
    pages: PageRange | None = Field(description="The part's pages in the file.")
    kind: str = Field(description="result | dossier_component")
    owner_id: str | None = Field(description="Masked (0021******82) unless the caller may see it.")
    owner_id_type: str | None
    owner_name: str | None
    doc_type: str | None
    procedure_code: str | None
    doc_number: str | None
    issuing_body: str | None
    issue_date: date | None
    valid_from: date | None
    valid_until: date | None
    permanent: bool | None = Field(description="True permanent, False dated, null unknown.")
    approved: bool
    legal_status: str
    replaced_by: str | None
    review_state: str
    confirmed_at: UtcDatetime | None
    updated_at: UtcDatetime
    valid_on: date = Field(description="The day the validity below was checked for.")
    valid: bool
    validity_reason: str
    subjects: list[SubjectPublic]
    fields: dict[str, FieldPublic]
    links: RecordLinks
    candidates: list[CandidatePublic] | None = Field(None, description="Every extracted candidate (officers).")


class RecordListPublic(BaseModel):
    valid_on: date
    total: int
    records: list[RecordPublic]


class RecordPatch(BaseModel):
    """Officer corrections. Only the keys present in ``fields`` change; null clears."""

    model_config = ConfigDict(extra="forbid")
    fields: dict[str, Any] = Field(default_factory=dict, description="owner_id, issue_date, permanent, ...")
    confirm: bool = False
    legal_status: Literal["in_force", "expired", "revoked", "cancelled", "replaced"] | None = None
    replaced_by: str | None = Field(None, description="Id of the replacing record (legal_status=replaced).")
    note: str | None = Field(None, max_length=2000)


class CorrectionPublic(BaseModel):
    field: str
    old_value: str | None
    new_value: str | None
    key_id: int | None
    user_id: int | None = Field(None, description="The person who made it, when not made with an API key.")
    at: UtcDatetime
    note: str | None


class HistoryPublic(BaseModel):
    record_id: str
    corrections: list[CorrectionPublic]


class KeyPublic(BaseModel):
    id: int
    name: str
    role: str
    agency: str | None
    prefix: str
    created_at: UtcDatetime
    expires_at: UtcDatetime | None
    revoked_at: UtcDatetime | None
    last_used_at: UtcDatetime | None
    active: bool


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "clerk", "officer", "portal"]
    name: str = Field(min_length=1, max_length=128)
    agency: str | None = Field(None, max_length=128)
    expires_at: datetime | None = None


class KeyCreatedPublic(BaseModel):
    key: KeyPublic
    secret: str = Field(description="The API key itself: shown once, stored only hashed.")


class KeyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expires_at: datetime | None = Field(description="New expiry; null = never expires.")


class AuditEventPublic(BaseModel):
    id: int
    at: UtcDatetime
    user_id: int | None = Field(description="The person who did it (signed in), or null.")
    key_id: int | None = Field(description="The API key that did it, or null.")
    role: str | None
    agency: str | None
    action: str
    target_type: str | None
    target_id: str | None
    owner_id: str | None
    purpose: str | None
    result_count: int | None
    detail: dict[str, Any] | None


class AuditPagePublic(BaseModel):
    events: list[AuditEventPublic]
    next_before_id: int | None = Field(description="Pass as before_id for older events; null at the end.")
