"""Creating and migrating the database schema with Alembic (`xuewei db upgrade`)."""
from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

__all__ = ["alembic_config", "upgrade", "make_revision", "import_all_models", "MODEL_MODULES"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Every module that declares tables; Alembic and the schema tests import them all.
MODEL_MODULES = ("core.models", "web.models", "core.season.models", "core.allocation.models")


def import_all_models() -> None:
    """Register every table on SQLModel.metadata."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to `engine`, with no alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


MIGRATION_LOCK = 0x78756577  # "xuew": the PostgreSQL advisory lock `upgrade` holds while it migrates


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate the database to the newest revision (every head, should branches exist).

    On SQLite, the check of rows referring to other rows is off while migrating (set before the
    transaction begins: SQLite ignores it inside one) and made whole before COMMIT: SQLite
    alters a table by copying it into a new one, and dropping the old one would otherwise
    delete, or trip on, every row referring to it (Alembic's "batch" mode, see its docs). On
    PostgreSQL, concurrent upgrades (`xuewei db upgrade` run on two hosts at once) take turns.
    """
    config = alembic_config(engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if not sqlite:  # two hosts migrating at once: the second waits, then finds nothing to do
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("the migration left rows referring to rows that do not exist")
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


def make_revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the difference between the models and `engine`."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
