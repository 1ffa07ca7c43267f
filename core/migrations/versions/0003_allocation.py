"""allocation: runs, seats, property ledger

Revision ID: 0003_allocation
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.types


revision = "0003_allocation"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allocationrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('ruleset_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('commitment', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('export_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('pupils', sa.Integer(), nullable=False),
    sa.Column('schools', sa.Integer(), nullable=False),
    sa.Column('run_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['season_id'], ['season.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('season_id', 'export_sha256')
    )
    with op.batch_alter_table('allocationrun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocationrun_season_id'), ['season_id'], unique=False)

    op.create_table('allocationseat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('serial', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('school_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('how', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('catchment_school', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('lottery_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('lottery_rank', sa.Integer(), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('why_zh', sa.Text(), nullable=False),
    sa.Column('why_en', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['allocationrun.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'application_id')
    )
    with op.batch_alter_table('allocationseat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocationseat_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocationseat_run_id'), ['run_id'], unique=False)

    op.create_table('propertyledgerentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('season_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('property_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('family_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['allocationrun.id'], ),
    sa.ForeignKeyConstraint(['season_id'], ['season.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('season_id', 'property_key', 'serial')
    )
    with op.batch_alter_table('propertyledgerentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_propertyledgerentry_property_key'), ['property_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_propertyledgerentry_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_propertyledgerentry_season_id'), ['season_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('propertyledgerentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_propertyledgerentry_season_id'))
        batch_op.drop_index(batch_op.f('ix_propertyledgerentry_run_id'))
        batch_op.drop_index(batch_op.f('ix_propertyledgerentry_property_key'))

    op.drop_table('propertyledgerentry')
    with op.batch_alter_table('allocationseat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocationseat_run_id'))
        batch_op.drop_index(batch_op.f('ix_allocationseat_application_id'))

    op.drop_table('allocationseat')
    with op.batch_alter_table('allocationrun', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocationrun_season_id'))

    op.drop_table('allocationrun')
