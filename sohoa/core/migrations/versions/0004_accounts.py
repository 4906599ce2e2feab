"""accounts for people: users, sign-in sessions, failed sign-ins; who did it, user or key

Revision ID: 0004
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("agency", sa.String(length=128), nullable=True),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=32), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("locks_username", sa.Boolean(), nullable=False),
        sa.Column("locks_address", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_failures_at", "sign_in_failures", ["at"])
    op.create_index("ix_signin_username_at", "sign_in_failures", ["username", "at"])
    op.create_index("ix_signin_address_at", "sign_in_failures", ["address", "at"])

    # Who did it: a person (user) or a machine (key); existing rows named keys only.
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_audit_events_user_id", "users", ["user_id"], ["id"])
        batch_op.create_index("ix_audit_user", ["user_id"])
    with op.batch_alter_table("batches") as batch_op:
        batch_op.add_column(sa.Column("created_by_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_batches_created_by_user_id", "users", ["created_by_user_id"], ["id"])
    with op.batch_alter_table("records") as batch_op:
        batch_op.add_column(sa.Column("confirmed_by_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_records_confirmed_by_user_id", "users", ["confirmed_by_user_id"], ["id"])
    with op.batch_alter_table("record_corrections") as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_record_corrections_user_id", "users", ["user_id"], ["id"])
    with op.batch_alter_table("uploads") as batch_op:
        batch_op.add_column(sa.Column("created_by_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_uploads_created_by_user_id", "users", ["created_by_user_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch_op:
        batch_op.drop_constraint("fk_uploads_created_by_user_id", type_="foreignkey")
        batch_op.drop_column("created_by_user_id")
    with op.batch_alter_table("record_corrections") as batch_op:
        batch_op.drop_constraint("fk_record_corrections_user_id", type_="foreignkey")
        batch_op.drop_column("user_id")
    with op.batch_alter_table("records") as batch_op:
        batch_op.drop_constraint("fk_records_confirmed_by_user_id", type_="foreignkey")
        batch_op.drop_column("confirmed_by_user_id")
    with op.batch_alter_table("batches") as batch_op:
        batch_op.drop_constraint("fk_batches_created_by_user_id", type_="foreignkey")
        batch_op.drop_column("created_by_user_id")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index("ix_audit_user")
        batch_op.drop_constraint("fk_audit_events_user_id", type_="foreignkey")
        batch_op.drop_column("user_id")
    op.drop_table("sign_in_failures")
    op.drop_table("user_sessions")
    op.drop_table("users")
