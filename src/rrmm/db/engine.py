"""Where the database is, how to connect to it, and how to bring its schema up to date."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from rrmm.trials.store import default_store_path

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current_revision",
    "database_url",
    "head_revision",
    "make_engine",
    "migrate",
]

log = logging.getLogger("rrmm.db")

#: The Alembic environment (``env.py`` and ``versions/``), shipped inside the package.
MIGRATIONS = Path(__file__).parent / "migrations"

# A fixed key for pg_advisory_xact_lock, so that two processes migrating at once take turns.
_MIGRATION_LOCK = 0x72726D6D  # "rrmm"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """``$RRMM_DATABASE_URL`` when set, else the SQLite file ``$RRMM_HOME/rrmm.sqlite``
    (``RRMM_HOME`` defaults to ``~/.rrmm``, as for the trial store)."""
    import os

    env = os.environ if environ is None else environ
    url = env.get("RRMM_DATABASE_URL", "").strip()
    if url:
        return url
    path = default_store_path(env).parent / "rrmm.sqlite"
    return f"sqlite:///{path}"


def _normalise(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 (the driver rrmm depends on)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default :func:`database_url`).

    SQLite: the file's directory is created, foreign keys are enforced (``PRAGMA foreign_keys=ON``),
    the journal is a write-ahead log (readers do not wait for the writer), and every transaction starts
    with ``BEGIN IMMEDIATE``: its reads, writes and DDL are one atomic unit (the sqlite3 module alone
    would begin only at the first write, and never for DDL), and, since nearly every transaction here
    writes an audit row, concurrent writers queue for the lock (30 s) instead of failing with
    "database is locked" when a read lock cannot be upgraded.
    """
    url = _normalise(url or database_url())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        file_backed = bool(database) and database != ":memory:" and not str(database).startswith("file:")
        if file_backed and database:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # the driver must not issue BEGIN itself
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA foreign_keys=ON")
                if file_backed:
                    cursor.execute("PRAGMA journal_mode=WAL")
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration for rrmm's migrations; with ``engine``, migrations run on it.

    Without an engine (``alembic revision --autogenerate`` by hand), ``env.py`` connects to
    :func:`database_url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this rrmm."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None`` for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest migration (``alembic upgrade head``); a no-op when it is
    already there. One transaction: a failed migration leaves the schema as it was."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(config, "head")
        after = MigrationContext.configure(connection).get_current_revision()
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)
