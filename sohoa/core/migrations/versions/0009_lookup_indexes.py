"""the index a record's subjects are read by (every record shown, every lookup's answer)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_subjects_record", "record_subjects", ["record_id"])


def downgrade() -> None:
    op.drop_index("ix_subjects_record", table_name="record_subjects")
