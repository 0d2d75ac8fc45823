"""Alembic migrations of the rrmm database, run by :func:`rrmm.db.migrate` (no ``alembic.ini``)."""
