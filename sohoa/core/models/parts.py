"""The paper documents inside an uploaded file (page ranges) and the history of an officer's changes to them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sohoa.core.clock import utcnow
from sohoa.core.models.base import Base, UtcDateTime, new_id
from sohoa.core.vocab import PartKind, PartSource

if TYPE_CHECKING:  # the relationships' targets; SQLAlchemy finds them by name
    from sohoa.core.models.documents import Document


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
