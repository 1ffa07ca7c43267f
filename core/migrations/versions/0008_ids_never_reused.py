"""core: application and document ids are never given twice, also on SQLite (AUTOINCREMENT)

A removed draft or document keeps its audit events under its id (core.applications,
core.documents); SQLite would otherwise give the id of a removed last row to the next one, whose
history would then show them.

Revision ID: 0008_ids_never_reused
Revises: 0001
"""
from __future__ import annotations

from alembic import op

revision = "0008_ids_never_reused"
down_revision = "0001"
branch_labels = None
depends_on = None


TABLES = ("application", "document")


def _rebuild(autoincrement: bool) -> None:
    """SQLite sets AUTOINCREMENT when a table is created: copy each table into a new one (the
    rows referring to them are checked once it is done: core.schema.upgrade)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
