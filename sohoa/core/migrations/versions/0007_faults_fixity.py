"""faults and fixity: transient retries apart from content attempts; fixity checks

Revision ID: 0007
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stalled_claims", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("transient_failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_fault", sa.Text(), nullable=True))
    with op.batch_alter_table("stored_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fixity_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("fixity", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_stored_files_fixity_checked_at", ["fixity_checked_at"], unique=False)
        batch_op.create_index("ix_stored_files_fixity", ["fixity"], unique=False)
    op.create_table(
        "fixity_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fixity_runs_started_at", "fixity_runs", ["started_at"], unique=False)
    op.create_table(
        "fixity_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("stored_file_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("found_sha256", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["fixity_runs.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["stored_file_id"], ["stored_files.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fixity_checks_run_id", "fixity_checks", ["run_id"], unique=False)
    op.create_index("ix_fixity_checks_stored_file_id", "fixity_checks", ["stored_file_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_fixity_checks_stored_file_id", table_name="fixity_checks")
    op.drop_index("ix_fixity_checks_run_id", table_name="fixity_checks")
    op.drop_table("fixity_checks")
    op.drop_index("ix_fixity_runs_started_at", table_name="fixity_runs")
    op.drop_table("fixity_runs")
    with op.batch_alter_table("stored_files", schema=None) as batch_op:
        batch_op.drop_index("ix_stored_files_fixity")
        batch_op.drop_index("ix_stored_files_fixity_checked_at")
        batch_op.drop_column("fixity")
        batch_op.drop_column("fixity_checked_at")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("last_fault")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("transient_failures")
        batch_op.drop_column("stalled_claims")
