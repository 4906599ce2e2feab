"""resumable (tus) uploads, and the batch item each one became

Revision ID: 0005
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("created_by_key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(512), nullable=False),
        sa.Column("upload_metadata", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.String(32), nullable=False),
        sa.Column("creates_batch", sa.Boolean(), nullable=False),
        sa.Column("agency_code", sa.String(64), nullable=True),
        sa.Column("procedure_code", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("expected_sha256", sa.String(64), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_uploads_owner_state", "uploads", ["owner", "state"])
    op.create_index("ix_uploads_state", "uploads", ["state"])
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upload_id", sa.String(32), nullable=True))
        batch_op.create_unique_constraint("uq_batch_items_upload_id", ["upload_id"])


def downgrade() -> None:
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_batch_items_upload_id", type_="unique")
        batch_op.drop_column("upload_id")
    op.drop_index("ix_uploads_state", table_name="uploads")
    op.drop_index("ix_uploads_owner_state", table_name="uploads")
    op.drop_table("uploads")
