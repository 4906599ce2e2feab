"""Reusable records (issue 5): the values extracted from a part, the record made from them, the people
it names, and officers' corrections."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sohoa.core.clock import utcnow
from sohoa.core.models.base import Base, UtcDateTime, new_id
from sohoa.core.vocab import LegalStatus, RecordKind, ReviewState


class ExtractedFieldRow(Base):
    """One candidate value found on a page, with where it came from and how sure we are."""

    __tablename__ = "extracted_fields"
    __table_args__ = (Index("ix_fields_document", "document_id"), Index("ix_fields_name_value", "name", "value"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    page: Mapped[int | None] = mapped_column(Integer)
    span_start: Mapped[int | None] = mapped_column(Integer)
    span_end: Mapped[int | None] = mapped_column(Integer)
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    problems: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    segment: Mapped[int] = mapped_column(Integer, default=0, doc="Document inside the part, from 0.")
    chosen: Mapped[bool] = mapped_column(Boolean, default=False, doc="The candidate the record uses.")
    part_id: Mapped[str | None] = mapped_column(ForeignKey("parts.id", ondelete="CASCADE"), index=True)


class Record(Base):
    """A result that can be reused: who it is about and whether it holds. One per result part
    (``part_id``); ``document_id`` is the file the part is in."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_owner", "owner_id"),
        Index("ix_records_doc_type", "doc_type"),
        Index("ix_records_issue_date", "issue_date"),
        Index("ix_records_document", "document_id"),
        UniqueConstraint("part_id", name="uq_records_part"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    part_id: Mapped[str | None] = mapped_column(ForeignKey("parts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32), default=RecordKind.RESULT)
    owner_id: Mapped[str | None] = mapped_column(String(32), doc="Citizen ID or enterprise code.")
    owner_id_type: Mapped[str | None] = mapped_column(String(16), doc="cccd | cmnd | enterprise")
    owner_name: Mapped[str | None] = mapped_column(String(256))
    doc_type: Mapped[str | None] = mapped_column(String(64))
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    doc_number: Mapped[str | None] = mapped_column(String(128))
    issuing_body: Mapped[str | None] = mapped_column(String(512))
    issue_date: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    permanent: Mapped[bool | None] = mapped_column(Boolean, doc="None = unknown, distinct from permanent.")
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    legal_status: Mapped[str] = mapped_column(String(16), default=LegalStatus.IN_FORCE)
    replaced_by_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"))
    review_state: Mapped[str] = mapped_column(String(16), default=ReviewState.EXTRACTED)
    confirmed_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    confirmed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class RecordSubject(Base):
    """Every person or enterprise a record names, so a lookup by any of their IDs finds it."""

    __tablename__ = "record_subjects"
    # person_id: lookups by ID; record_id: a record's people (every record shown), cascades
    __table_args__ = (Index("ix_subjects_person", "person_id"), Index("ix_subjects_record", "record_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32), doc="subject | child | mother | requester | ...")
    person_id: Mapped[str | None] = mapped_column(String(32))
    id_type: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(256))


class RecordCorrection(Base):
    """Append-only history of officers' confirmations and corrections."""

    __tablename__ = "record_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
