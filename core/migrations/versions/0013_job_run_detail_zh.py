"""season: a failed scheduler job's reason in Chinese too, when the error is a known one

Revision ID: 0013_job_run_detail_zh
Revises: 0007_list_decision_reason (the season area's own line)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_job_run_detail_zh"
down_revision = "0007_list_decision_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobrun", sa.Column("detail_zh", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobrun") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("detail_zh")
