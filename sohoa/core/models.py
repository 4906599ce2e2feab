"""Database schema: the source of truth for batches, documents, pages and their state.

Redis only carries job messages; everything a restart must not lose lives here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from sohoa.core.clock import utcnow
from sohoa.core.vocab import (
    DocumentStatus,
    IndexState,
    LegalStatus,
    PageStatus,
    PartKind,
    PartSource,
    RecordKind,
    ReviewState,
    UploadState,
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is timezone-aware UTC on the way in and out, on every database.

    SQLite keeps no offset and hands back naive values; without this every reader would
    have to remember that naive means UTC. Naive values written are taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


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


class Part(Base):
    """One paper document inside an uploaded file: pages ``first_page``..``last_page``.

    A result part has one record; a dossier component (form, application, ID-card copy)
    has none and points at the result it came with. ``reasons``/``confidence`` say why the
    part starts where it does; ``source`` is ``officer`` once an officer drew it (then it is
    never re-detected).
    """

    __tablename__ = "parts"
    __table_args__ = (UniqueConstraint("document_id", "position", name="uq_parts_document_position"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, doc="0-based order in the file (the API's `index`).")
    first_page: Mapped[int] = mapped_column(Integer)
    last_page: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default=PartKind.RESULT)
    doc_type: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    source: Mapped[str] = mapped_column(String(16), default=PartSource.DETECTED)
    result_part_id: Mapped[str | None] = mapped_column(ForeignKey("parts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    document: Mapped[Document] = relationship(back_populates="parts")


class PartChange(Base):
    """Append-only history of an officer's boundary changes (move, merge, split)."""

    __tablename__ = "part_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[list[list[int]]] = mapped_column(JSON, doc="[[first, last], ...] before the change.")
    after: Mapped[list[list[int]]] = mapped_column(JSON)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="e.g. records removed with their corrections.")
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class StoredFile(Base):
    """Every file in the archive with its checksum, so fixity can be verified any time."""

    __tablename__ = "stored_files"
    __table_args__ = (UniqueConstraint("document_id", "kind", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), doc="original | page_words | searchable_pdf | ...")
    path: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    fixity_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    fixity: Mapped[str | None] = mapped_column(String(16), index=True, doc="Latest FixityOutcome.")

    document: Mapped[Document] = relationship(back_populates="files")


class FixityRun(Base):
    """One run of ``sohoa fixity`` (all files, or the nightly share)."""

    __tablename__ = "fixity_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16), doc="FixityScope.")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[int] = mapped_column(Integer, default=0)


class FixityCheck(Base):
    """One check of one stored file: the history behind ``StoredFile.fixity``."""

    __tablename__ = "fixity_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("fixity_runs.id", ondelete="SET NULL"), index=True)
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(512))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16), doc="FixityOutcome.")
    found_sha256: Mapped[str | None] = mapped_column(String(64), doc="What the file hashes to on a mismatch.")
    detail: Mapped[str | None] = mapped_column(Text)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class User(Base):
    """A person who signs in (clerk, officer, admin); machines use API keys instead.

    ``username`` is stored normalized (NFC, canonical tone marks, lower case), so it is
    unique however it is typed. The password is kept only as an Argon2 hash.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class UserSession(Base):
    """A sign-in: the cookie carries a random token, only its SHA-256 is stored here.

    Idle and absolute expiry are computed from ``last_seen_at`` and ``created_at`` with the
    current settings, so shortening them takes effect at once; ``revoked_at`` ends it early.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(32), doc="A SessionEnd value.")
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))

    user: Mapped[User] = relationship()


class SignInFailure(Base):
    """One failed (or, briefly, in-progress) sign-in, counted per username and per address.

    Rows older than the lock time are deleted; a row that pushed a count to its limit is
    flagged and locks that username or address until ``at`` + the lock time.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_signin_username_at", "username", "at"),
                      Index("ix_signin_address_at", "address", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(128), doc="As normalized, whether or not such a user exists.")
    address: Mapped[str] = mapped_column(String(64))
    locks_username: Mapped[bool] = mapped_column(Boolean, default=False)
    locks_address: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEvent(Base):
    """Append-only log of reads and corrections (no update or delete path exists)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_owner", "owner_id"), Index("ix_audit_key", "key_id"),
                      Index("ix_audit_user", "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str | None] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    owner_id: Mapped[str | None] = mapped_column(String(32))
    purpose: Mapped[str | None] = mapped_column(String(128))
    result_count: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- Reusable records (issue 5) -------------------------------------------------------


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
