"""Documents (one per distinct original file) and their pages: the processing state the workers advance."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sohoa.core.clock import utcnow
from sohoa.core.models.base import Base, UtcDateTime, new_id
from sohoa.core.vocab import DocumentStatus, IndexState, PageStatus

if TYPE_CHECKING:  # the relationships' targets; SQLAlchemy finds them by name
    from sohoa.core.models.parts import Part
    from sohoa.core.models.stored_files import StoredFile


class Document(Base):
    """One distinct original file, identified by the SHA-256 of its bytes."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_created", "created_at"),
                      Index("ix_documents_agency_created", "agency_code", "created_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(512), doc="Display name from the first upload.")
    original_path: Mapped[str] = mapped_column(String(512), doc="Path relative to the archive root.")
    first_batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"))
    agency_code: Mapped[str | None] = mapped_column(String(64))
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.QUEUED, index=True)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    pages_total: Mapped[int] = mapped_column(Integer, default=0)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0, doc="Claims so far (the compare-and-set token).")
    stalled_claims: Mapped[int] = mapped_column(Integer, default=0, doc="Claims in a row that ended without "
                                                "finishing a page and without a transient fault.")
    transient_failures: Mapped[int] = mapped_column(Integer, default=0, doc="Jobs stopped by a transient "
                                                    "fault since the last success (sets the backoff).")
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="Queued again after a transient "
                                                      "fault: not before this instant.")
    last_fault: Mapped[str | None] = mapped_column(Text, doc="What stopped the last job (code: message).")
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    index_state: Mapped[str] = mapped_column(String(16), default=IndexState.PENDING, index=True)
    index_error: Mapped[str | None] = mapped_column(Text)
    indexed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    pages: Mapped[list[Page]] = relationship(
        back_populates="document", order_by="Page.number", cascade="all, delete-orphan"
    )
    files: Mapped[list[StoredFile]] = relationship(back_populates="document", cascade="all, delete-orphan")
    parts: Mapped[list[Part]] = relationship(
        back_populates="document", order_by="Part.position", cascade="all, delete-orphan"
    )


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer, doc="1-based.")
    status: Mapped[str] = mapped_column(String(16), default=PageStatus.PENDING)
    source: Mapped[str | None] = mapped_column(String(16), doc="'ocr' or 'text_layer'.")
    text: Mapped[str | None] = mapped_column(Text, doc="NFC.")
    confidence: Mapped[float | None] = mapped_column(Float, doc="Mean word confidence 0-100.")
    word_count: Mapped[int | None] = mapped_column(Integer)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    dpi: Mapped[int | None] = mapped_column(Integer)
    rotation: Mapped[int | None] = mapped_column(Integer, doc="Degrees applied to read upright.")
    skew: Mapped[float | None] = mapped_column(Float, doc="Degrees corrected.")
    words_path: Mapped[str | None] = mapped_column(String(512), doc="Word boxes + confidences (JSON).")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    separator: Mapped[bool] = mapped_column(Boolean, default=False, doc="A separator sheet: in no part.")
    top_text: Mapped[str | None] = mapped_column(Text, doc="Lines printed in the page's top third (word boxes).")

    document: Mapped[Document] = relationship(back_populates="pages")
