"""extracted fields: segment and chosen candidate

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("extracted_fields", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("chosen", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("extracted_fields", schema=None) as batch_op:
        batch_op.drop_column("chosen")
        batch_op.drop_column("segment")
