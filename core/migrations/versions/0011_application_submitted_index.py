"""core: index applications by season and submission time, for the recent-submissions figures

The operators' dashboard (submissions per minute) and /metrics (submissions in the last 5
minutes) count a season's submissions in a recent window; without the index SQLite reads every
application row past its JSON columns to reach submitted_at (160 ms at 20,000 applications).

Revision ID: 0011_application_submitted_index
Revises: 0010_scheduler_heartbeat
"""
from __future__ import annotations

from alembic import op

revision = "0011_application_submitted_index"
down_revision = "0010_scheduler_heartbeat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_application_season_submitted", "application", ["season_id", "submitted_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_application_season_submitted", table_name="application")
