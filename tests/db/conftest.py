"""Fixtures: every persistence test runs on SQLite (a temporary file) and on PostgreSQL.

PostgreSQL comes from ``RRMM_TEST_POSTGRES_URL`` (``export RRMM_TEST_POSTGRES_URL="$(sudo
scripts/postgres.sh)"`` starts a throwaway server); each test gets a schema of its own there, dropped
afterwards. Without the variable the PostgreSQL cases are skipped, saying so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from db.support import FAST_HASHER, PASSWORD, Clock
from rrmm.db import ROLES, Repository, UserInfo, make_engine, migrate

POSTGRES_ENV = "RRMM_TEST_POSTGRES_URL"


def _postgres_schema_url(base: str) -> Iterator[str]:
    schema = f"rrmm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {exc.orig}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rrmm.sqlite'}"
        return
    base = os.environ.get(POSTGRES_ENV, "").strip()
    if not base:
        pytest.skip(
            f"PostgreSQL not tested: {POSTGRES_ENV} is unset "
            f'(run: export {POSTGRES_ENV}="$(sudo scripts/postgres.sh)")'
        )
    yield from _postgres_schema_url(base)


@pytest.fixture
def empty_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    migrate(empty_engine)
    return empty_engine


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo(engine: Engine, clock: Clock) -> Repository:
    return Repository(engine, now=clock, hasher=FAST_HASHER)


@pytest.fixture
def users(repo: Repository) -> dict[str, UserInfo]:
    """One user per role, keyed by role."""
    return {role: repo.add_user(f"user-{role}", PASSWORD, role) for role in ROLES}


@pytest.fixture
def doctor(users: dict[str, UserInfo]) -> UserInfo:
    return users["hematologist"]
