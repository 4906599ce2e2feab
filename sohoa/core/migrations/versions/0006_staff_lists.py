"""indexes for the staff screens' lists: batches and documents by upload time (per agency),
records by issue date

Revision ID: 0006
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_batches_created", "batches", ["created_at"]),
    ("ix_batches_agency_created", "batches", ["agency_code", "created_at"]),
    ("ix_documents_created", "documents", ["created_at"]),
    ("ix_documents_agency_created", "documents", ["agency_code", "created_at"]),
    ("ix_records_issue_date", "records", ["issue_date"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
