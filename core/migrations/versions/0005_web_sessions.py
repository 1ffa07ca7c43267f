"""web: login sessions, so a logout ends the session on the server

Revision ID: 0005_web_sessions
Revises: 0004_web
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.types

revision = "0005_web_sessions"
down_revision = "0004_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loginsession",
        sa.Column("sid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("sid"),
    )
    op.create_index(op.f("ix_loginsession_account_id"), "loginsession", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_loginsession_account_id"), table_name="loginsession")
    op.drop_table("loginsession")
