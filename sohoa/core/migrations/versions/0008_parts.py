"""parts: one file, many documents (issue 12)

Every document already stored becomes one part covering all its pages; its record (if any)
and its extracted candidates point at that part, and keep their ids. ``records.document_id``
is no longer unique (one record per result part), ``records.part_id`` is.

Revision ID: 0008 (its parent: ``down_revision`` below)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None

_UQ = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names SQLite's unnamed unique constraints


def upgrade() -> None:
    op.create_table(
        "parts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("first_page", sa.Integer(), nullable=False),
        sa.Column("last_page", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("doc_type", sa.String(length=64), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("result_part_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["result_part_id"], ["parts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "position", name="uq_parts_document_position"),
    )
    op.create_index("ix_parts_document_id", "parts", ["document_id"])
    op.create_table(
        "part_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_part_changes_document_id", "part_changes", ["document_id"])
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("separator", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("top_text", sa.Text(), nullable=True))
    with op.batch_alter_table("extracted_fields", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key("fk_extracted_fields_part", "parts", ["part_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index("ix_extracted_fields_part_id", ["part_id"])
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key("fk_records_part", "parts", ["part_id"], ["id"], ondelete="CASCADE")
    _one_part_per_document()
    _drop_unique_document_id()
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_records_part", ["part_id"])
        batch_op.create_index("ix_records_document", ["document_id"])


def _one_part_per_document() -> None:
    """Each stored document: one part over all its pages, the kind and type of its record."""
    conn = op.get_bind()
    parts = sa.table(
        "parts", sa.column("id"), sa.column("document_id"), sa.column("position"), sa.column("first_page"),
        sa.column("last_page"), sa.column("kind"), sa.column("doc_type"), sa.column("reasons", sa.JSON),
        sa.column("confidence"), sa.column("source"), sa.column("created_at"), sa.column("updated_at"),
    )
    rows = conn.execute(sa.text(
        "SELECT d.id, d.pages_total, (SELECT max(p.number) FROM pages p WHERE p.document_id = d.id), "
        "r.kind, r.doc_type FROM documents d LEFT JOIN records r ON r.document_id = d.id"
    )).all()
    now = datetime.now(UTC)
    for document_id, total, highest, record_kind, doc_type in rows:
        last = max(total or 0, highest or 0)
        if last == 0 and record_kind is None:
            continue  # nothing read yet: the job draws its parts
        part_id = uuid.uuid4().hex
        kind = "component" if record_kind == "dossier_component" else "result"
        conn.execute(parts.insert().values(
            id=part_id, document_id=document_id, position=0, first_page=1, last_page=max(last, 1), kind=kind,
            doc_type=doc_type, reasons=["first_page"], confidence=1.0, source="detected", created_at=now,
            updated_at=now))
        for table in ("records", "extracted_fields"):
            conn.execute(sa.text(f"UPDATE {table} SET part_id = :part WHERE document_id = :doc"),
                         {"part": part_id, "doc": document_id})


def _drop_unique_document_id() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        with op.batch_alter_table("records", schema=None, naming_convention=_UQ) as batch_op:
            batch_op.drop_constraint("uq_records_document_id", type_="unique")
        return
    for constraint in sa.inspect(conn).get_unique_constraints("records"):
        if constraint["column_names"] == ["document_id"] and constraint["name"]:
            op.drop_constraint(constraint["name"], "records", type_="unique")


def downgrade() -> None:
    """Back to one record per document: records of any part but the first are deleted."""
    op.execute("DELETE FROM records WHERE part_id IN (SELECT id FROM parts WHERE position > 0)")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_document")
        batch_op.drop_constraint("uq_records_part", type_="unique")
        batch_op.drop_constraint("fk_records_part", type_="foreignkey")
        batch_op.drop_column("part_id")
        batch_op.create_unique_constraint("uq_records_document_id", ["document_id"])
    with op.batch_alter_table("extracted_fields", schema=None) as batch_op:
        batch_op.drop_index("ix_extracted_fields_part_id")
        batch_op.drop_constraint("fk_extracted_fields_part", type_="foreignkey")
        batch_op.drop_column("part_id")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("top_text")
        batch_op.drop_column("separator")
    op.drop_index("ix_part_changes_document_id", "part_changes")
    op.drop_table("part_changes")
    op.drop_index("ix_parts_document_id", "parts")
    op.drop_table("parts")
