"""How files arrive: batches and their items, and resumable (tus) uploads until they complete."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sohoa.core.clock import utcnow
from sohoa.core.models.base import Base, UtcDateTime, new_id
from sohoa.core.vocab import UploadState

if TYPE_CHECKING:  # the relationships' targets; SQLAlchemy finds them by name
    from sohoa.core.models.documents import Document


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_created", "created_at"),
                      Index("ix_batches_agency_created", "agency_code", "created_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    agency_code: Mapped[str | None] = mapped_column(String(64))
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    client_key: Mapped[str | None] = mapped_column(
        String(200), unique=True, doc="``<who.ref>:<key>`` of a batch opened by a client "
        "(POST /batches/open): the same key opens the same batch again, so a double click or a "
        "page reload never makes a second one.")

    items: Mapped[list[BatchItem]] = relationship(
        back_populates="batch", order_by="BatchItem.position", cascade="all, delete-orphan"
    )


class BatchItem(Base):
    """One uploaded file of a batch; links to a document unless the file was rejected."""

    __tablename__ = "batch_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(512))
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), index=True)
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    upload_id: Mapped[str | None] = mapped_column(
        String(32), unique=True, doc="The resumable upload this file came from: at most one item per upload.")

    batch: Mapped[Batch] = relationship(back_populates="items")
    document: Mapped[Document | None] = relationship()


class Upload(Base):
    """A resumable (tus) upload: its bytes live in ``var/uploads/<id>.part`` until complete.

    ``offset`` is the last acknowledged byte count, written only after those bytes were
    fsynced, so it never runs ahead of the file. ``owner`` is the caller's identity
    (``user:<id>`` or ``key:<id>``, ``Principal.ref``) for access and quota. ``batch_id`` is the batch the file joins:
    an existing one, or one this upload creates (``creates_batch``) with that id, when it
    completes. ``claimed_at`` marks a registration in progress (one at a time).
    """

    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_owner_state", "owner", "state"), Index("ix_uploads_state", "state"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner: Mapped[str] = mapped_column(String(64))
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default=UploadState.RECEIVING)
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    filename: Mapped[str] = mapped_column(String(512))
    upload_metadata: Mapped[str] = mapped_column(Text, default="", doc="Upload-Metadata as sent, echoed by HEAD.")
    batch_id: Mapped[str] = mapped_column(String(32))
    creates_batch: Mapped[bool] = mapped_column(Boolean, default=False)
    agency_code: Mapped[str | None] = mapped_column(String(64))
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    expected_sha256: Mapped[str | None] = mapped_column(String(64), doc="Whole-file SHA-256 the client declared.")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
