"""core: a short note per stored ruleset version, saying what an administrator's draft is for

Revision ID: 0012_ruleset_notes
Revises: 0011_application_submitted_index
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012_ruleset_notes"
down_revision = "0011_application_submitted_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rulesetversion", sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rulesetversion") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("note")
