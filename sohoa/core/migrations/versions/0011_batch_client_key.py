"""batches opened by a client key (the web app opens a batch, then sends its files over tus)

Revision ID: 0011
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_key", sa.String(200), nullable=True))
        batch_op.create_unique_constraint("uq_batches_client_key", ["client_key"])


def downgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_constraint("uq_batches_client_key", type_="unique")
        batch_op.drop_column("client_key")
