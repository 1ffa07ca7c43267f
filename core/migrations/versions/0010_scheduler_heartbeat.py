"""season: the scheduler's heartbeat, one row per host, so a dead scheduler shows before a phase fails to open

Revision ID: 0010_scheduler_heartbeat
Revises: 0009_connector_call_plugin
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.types

revision = "0010_scheduler_heartbeat"
down_revision = "0009_connector_call_plugin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedulerheartbeat",
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("season_time", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_job_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("next_due_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("host"),
    )


def downgrade() -> None:
    op.drop_table("schedulerheartbeat")
