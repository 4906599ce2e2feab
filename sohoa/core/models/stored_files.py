"""Every file in the archive with its checksum, and the fixity runs and checks that verify them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sohoa.core.clock import utcnow
from sohoa.core.models.base import Base, UtcDateTime

if TYPE_CHECKING:  # the relationships' targets; SQLAlchemy finds them by name
    from sohoa.core.models.documents import Document


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
