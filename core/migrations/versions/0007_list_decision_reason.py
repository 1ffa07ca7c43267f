"""season: keep why a city administrator refused a list correction, for the district to read

Revision ID: 0007_list_decision_reason
Revises: 0002_season
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_list_decision_reason"
down_revision = "0002_season"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lockedlistversion", sa.Column("decision_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lockedlistversion") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("decision_reason")
