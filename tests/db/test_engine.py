"""Where the database is, connecting to it, and the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from rrmm.db import current_revision, database_url, head_revision, make_engine, migrate
from rrmm.db.models import Base

TABLES = {"users", "api_tokens", "sessions", "patients", "plans", "audit_log", "cds_clients", "cds_jti"}


# -- database_url / make_engine --------------------------------------------------------------------------


def test_default_url_is_sqlite_under_rrmm_home(tmp_path: Path) -> None:
    assert database_url({"RRMM_HOME": str(tmp_path)}) == f"sqlite:///{tmp_path / 'rrmm.sqlite'}"


def test_default_rrmm_home_is_dot_rrmm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert database_url({}) == f"sqlite:///{tmp_path / '.rrmm' / 'rrmm.sqlite'}"


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = "postgresql+psycopg://clinic@db.example:5432/rrmm"
    assert database_url({"RRMM_DATABASE_URL": url, "RRMM_HOME": str(tmp_path)}) == url
    monkeypatch.setenv("RRMM_DATABASE_URL", url)
    assert database_url() == url
    monkeypatch.setenv("RRMM_DATABASE_URL", "  ")
    monkeypatch.setenv("RRMM_HOME", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'rrmm.sqlite'}"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_postgres_urls_use_psycopg(scheme: str) -> None:
    engine = make_engine(f"{scheme}://u@127.0.0.1:1/x")  # no connection is made
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.dialect.driver == "psycopg"


def test_sqlite_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "rrmm.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    assert path.is_file()


def test_make_engine_default_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RRMM_DATABASE_URL", raising=False)
    monkeypatch.setenv("RRMM_HOME", str(tmp_path / "home"))
    engine = make_engine()
    assert engine.url.database == str(tmp_path / "home" / "rrmm.sqlite")
    engine.dispose()


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO plans (patient_id, created_at, created_by, kb_version, plan) "
                "VALUES ('nobody', '2026-01-01 00:00:00', 'x', 'v', '{}')"
            )
        )
    engine.dispose()


def test_sqlite_ddl_is_transactional(tmp_path: Path) -> None:
    """A transaction that fails rolls back its DDL too (the sqlite3 module alone would have committed)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        raise RuntimeError("boom")
    assert "t" not in inspect(engine).get_table_names()
    engine.dispose()


# -- migrations (both backends) ------------------------------------------------------------------------


def test_migrate_from_empty_creates_the_tables(empty_engine: Engine) -> None:
    assert set(inspect(empty_engine).get_table_names()) == set()
    assert current_revision(empty_engine) is None
    migrate(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) == TABLES | {"alembic_version"}
    assert current_revision(empty_engine) == head_revision() == "0002"


def test_migrate_twice_is_a_no_op(engine: Engine) -> None:
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}


def test_migrations_match_the_models(engine: Engine) -> None:
    """Autogenerate finds nothing to do: the migrations build exactly the tables of the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_columns_and_indexes(engine: Engine) -> None:
    inspector = inspect(engine)
    columns = {c["name"]: c for c in inspector.get_columns("patients")}
    assert set(columns) == {"id", "record", "summary", "created_at", "created_by", "updated_at", "updated_by"}
    audit = {c["name"]: c["nullable"] for c in inspector.get_columns("audit_log")}
    assert audit == {
        "id": False,
        "at": False,
        "actor": False,
        "action": False,
        "patient_id": True,
        "detail": False,
    }
    indexes = {i["name"] for i in inspector.get_indexes("audit_log")}
    assert indexes == {"ix_audit_log_at", "ix_audit_log_patient_id"}
    fks = inspector.get_foreign_keys("plans")
    assert [(f["referred_table"], f["options"].get("ondelete")) for f in fks] == [("patients", "CASCADE")]
    assert inspector.get_foreign_keys("audit_log") == []  # audit rows outlive deleted patients


def test_upgrade_from_0001_keeps_the_data(empty_engine: Engine) -> None:
    """A database made by the first release (revision 0001) upgrades in place: its users stay, the CDS
    client tables are added."""
    from alembic import command

    from rrmm.db import alembic_config

    config = alembic_config(empty_engine)
    command.upgrade(config, "0001")
    assert "cds_clients" not in inspect(empty_engine).get_table_names()
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, password_hash, role, created_at) "
                "VALUES ('ehr', 'h', 'read-only', '2026-01-01 00:00:00')"
            )
        )
    migrate(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert {"cds_clients", "cds_jti"} <= set(inspect(empty_engine).get_table_names())
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT username FROM users")).scalars().all() == ["ehr"]


def test_role_is_checked_by_the_database(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, password_hash, role, created_at) "
                "VALUES ('x', 'h', 'admin', '2026-01-01 00:00:00')"
            )
        )


def test_alembic_by_hand_upgrade_and_downgrade(empty_engine: Engine) -> None:
    """``alembic_config`` drives Alembic's own commands (as a developer would for a new revision)."""
    from alembic import command

    from rrmm.db import alembic_config

    config = alembic_config(empty_engine)
    command.upgrade(config, "head")
    assert set(inspect(empty_engine).get_table_names()) == TABLES | {"alembic_version"}
    command.downgrade(config, "base")
    assert set(inspect(empty_engine).get_table_names()) == {"alembic_version"}
    assert current_revision(empty_engine) is None
    migrate(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_alembic_by_hand_uses_the_configured_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from alembic import command

    from rrmm.db import alembic_config

    monkeypatch.delenv("RRMM_DATABASE_URL", raising=False)
    monkeypatch.setenv("RRMM_HOME", str(tmp_path))
    command.upgrade(alembic_config(), "head")
    engine = make_engine()
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert (tmp_path / "rrmm.sqlite").is_file()
