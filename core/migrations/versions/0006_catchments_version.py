"""core: count changes to a season's schools and catchments, so caches know when they are stale

Revision ID: 0006_catchments_version
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_catchments_version"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catchmentsversion",
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["season_id"], ["season.id"]),
        sa.PrimaryKeyConstraint("season_id"),
    )


def downgrade() -> None:
    op.drop_table("catchmentsversion")
