"""Alembic environment: runs on the connection :func:`rrmm.db.migrate` passes in, or (when Alembic is
driven by hand with :func:`rrmm.db.engine.alembic_config`) on a connection of its own."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from rrmm.db.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("rrmm migrations run online only (use rrmm.db.migrate)")
    config = context.config
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    from rrmm.db.engine import make_engine

    engine = config.attributes.get("engine") or make_engine()
    with engine.begin() as own:
        _run(own)


_main()
