"""What the service tests share (imported as ``api.support``): constants, and a clinic service on a
temporary SQLite database with one user per role, driven by FastAPI's TestClient. The fixtures are
imported by the conftest of tests/api and tests/web."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from rrmm.api.app import Settings, create_app
from rrmm.db import ROLES, Repository, make_engine, migrate

PASSWORD = "correct horse battery"
EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    engine = make_engine(f"sqlite:///{tmp_path / 'rrmm.sqlite'}")
    migrate(engine)
    repository = Repository(engine, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    for role in ROLES:
        repository.add_user(role, PASSWORD, role)
    return repository


@pytest.fixture
def client(repo: Repository) -> Iterator[TestClient]:
    with TestClient(create_app(repo, Settings(app_url="http://testserver"))) as c:
        yield c


@pytest.fixture
def tokens(repo: Repository) -> dict[str, dict[str, str]]:
    """Authorization headers per role."""
    return {role: {"Authorization": f"Bearer {repo.issue_token(role)}"} for role in ROLES}
