"""season clock: phases, windows, boundaries, job runs, locked lists, graduates database

Revision ID: 0002_season
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.types


revision = "0002_season"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('graduatesnapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('season_time', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('built_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('built_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['season_id'], ['season.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('season_id', 'label')
    )
    op.create_index(op.f('ix_graduatesnapshot_season_id'), 'graduatesnapshot', ['season_id'], unique=False)
    op.create_table('jobrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('runner', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('season_time', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['season_id'], ['season.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_jobrun_job_id'), 'jobrun', ['job_id'], unique=False)
    op.create_index(op.f('ix_jobrun_season_id'), 'jobrun', ['season_id'], unique=False)
    op.create_table('lockedlist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=True),
    sa.Column('created_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['season_id'], ['season.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('season_id', 'kind', 'owner')
    )
    op.create_index(op.f('ix_lockedlist_season_id'), 'lockedlist', ['season_id'], unique=False)
    op.create_table('seasonboundary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('phase_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('window_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('due_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('from_phase', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('to_phase', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('fired_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('lease_until', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['season_id'], ['season.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('season_id', 'job_id')
    )
    op.create_index('ix_boundary_due', 'seasonboundary', ['state', 'due_at'], unique=False)
    op.create_index(op.f('ix_seasonboundary_season_id'), 'seasonboundary', ['season_id'], unique=False)
    op.create_table('seasonphase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('phase_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label_zh', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('clause', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('starts_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['season_id'], ['season.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('season_id', 'phase_id')
    )
    op.create_index(op.f('ix_seasonphase_season_id'), 'seasonphase', ['season_id'], unique=False)
    op.create_table('seasonwindow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label_zh', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('clause', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('districts', sa.JSON(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('opens_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['season_id'], ['season.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('season_id', 'window_id')
    )
    op.create_index(op.f('ix_seasonwindow_season_id'), 'seasonwindow', ['season_id'], unique=False)
    op.create_table('graduaterow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('serial', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('pupil_id_number', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('pupil_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['snapshot_id'], ['graduatesnapshot.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('snapshot_id', 'application_id')
    )
    op.create_index(op.f('ix_graduaterow_snapshot_id'), 'graduaterow', ['snapshot_id'], unique=False)
    op.create_table('lockedlistversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('entries_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('decided_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['list_id'], ['lockedlist.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('list_id', 'version')
    )
    op.create_index(op.f('ix_lockedlistversion_list_id'), 'lockedlistversion', ['list_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_lockedlistversion_list_id'), table_name='lockedlistversion')
    op.drop_table('lockedlistversion')
    op.drop_index(op.f('ix_graduaterow_snapshot_id'), table_name='graduaterow')
    op.drop_table('graduaterow')
    op.drop_index(op.f('ix_seasonwindow_season_id'), table_name='seasonwindow')
    op.drop_table('seasonwindow')
    op.drop_index(op.f('ix_seasonphase_season_id'), table_name='seasonphase')
    op.drop_table('seasonphase')
    op.drop_index(op.f('ix_seasonboundary_season_id'), table_name='seasonboundary')
    op.drop_index('ix_boundary_due', table_name='seasonboundary')
    op.drop_table('seasonboundary')
    op.drop_index(op.f('ix_lockedlist_season_id'), table_name='lockedlist')
    op.drop_table('lockedlist')
    op.drop_index(op.f('ix_jobrun_season_id'), table_name='jobrun')
    op.drop_index(op.f('ix_jobrun_job_id'), table_name='jobrun')
    op.drop_table('jobrun')
    op.drop_index(op.f('ix_graduatesnapshot_season_id'), table_name='graduatesnapshot')
    op.drop_table('graduatesnapshot')
