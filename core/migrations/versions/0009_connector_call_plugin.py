"""core: each connector call names the plugin that answered, failed or timed out

Two vendors' plugins may serve one source (or a vendor replaces a built-in): the operators'
connector health shows each plugin's calls, to tell which one is failing.

Revision ID: 0009_connector_call_plugin
Revises: 0008_ids_never_reused
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_connector_call_plugin"
down_revision = "0008_ids_never_reused"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("connectorcall", sa.Column("plugin", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connectorcall") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("plugin")
