"""core: application ids are never given twice, also on SQLite (AUTOINCREMENT)

A removed draft (core.facts) keeps its audit events under its id; SQLite would otherwise give
the id of a removed last row to the next application, whose history would show them.

Revision ID: 0008_application_ids
Revises: 0001
"""
from __future__ import annotations

from alembic import op

revision = "0008_application_ids"
down_revision = "0001"
branch_labels = None
depends_on = None


def _rebuild_application(autoincrement: bool) -> None:
    """SQLite sets AUTOINCREMENT when a table is created: copy the table into a new one (the
    rows referring to applications are checked once it is done: core.schema.upgrade)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("application", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade() -> None:
    _rebuild_application(True)


def downgrade() -> None:
    _rebuild_application(False)
