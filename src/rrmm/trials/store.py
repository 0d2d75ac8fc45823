"""The local corpus of studies: one SQLite table of raw API v2 study objects, keyed by NCT id.

Each row keeps the study's raw JSON as the API sent it (so a newer parser can re-read it), with its
overall status (indexed) and last update date. A study is parsed before it is written, so the table
never holds a record that :func:`~rrmm.trials.study.study_from_v2` refuses; every write is one
transaction (a failure leaves the table as it was).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rrmm.trials.study import Study, study_from_v2

__all__ = ["StudyStore", "UpsertOutcome", "default_store_path"]

UpsertOutcome = Literal["inserted", "updated", "unchanged"]

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    nct_id      TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    last_update TEXT,
    fetched_at  TEXT NOT NULL,
    raw_json    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS studies_status ON studies (status);
"""


def default_store_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$RRMM_HOME/trials.sqlite``, or ``~/.rrmm/trials.sqlite``."""
    env = os.environ if environ is None else environ
    home = env.get("RRMM_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".rrmm"
    return base / "trials.sqlite"


def _canonical(raw: Mapping[str, Any]) -> str:
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class StudyStore:
    """A SQLite file of studies (created on first use); use as a context manager or :meth:`close`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), isolation_level=None)
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            self._conn.close()
            raise RuntimeError(f"{path}: store schema {version} is newer than this rrmm ({_SCHEMA_VERSION})")
        with self._transaction():
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def __enter__(self) -> StudyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    # -- writes -------------------------------------------------------------------------------------

    def upsert(self, raw: Mapping[str, Any]) -> UpsertOutcome:
        """Insert or replace one raw v2 study; ``unchanged`` when the stored JSON is the same."""
        return self.upsert_many([raw])[0]

    def upsert_many(self, raws: Iterable[Mapping[str, Any]]) -> list[UpsertOutcome]:
        """Upsert several raw v2 studies in one transaction: all are written, or none.

        Raises :class:`~rrmm.trials.study.StudyFormatError` (and writes nothing) if one is malformed.
        """
        rows = []
        for raw in raws:
            study = study_from_v2(raw)
            rows.append((study, _canonical(raw)))
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        outcomes: list[UpsertOutcome] = []
        with self._transaction():
            for study, text in rows:
                found = self._conn.execute(
                    "SELECT raw_json FROM studies WHERE nct_id = ?", (study.nct_id,)
                ).fetchone()
                if found is not None and found[0] == text:
                    self._conn.execute(
                        "UPDATE studies SET fetched_at = ? WHERE nct_id = ?", (fetched_at, study.nct_id)
                    )
                    outcomes.append("unchanged")
                    continue
                self._conn.execute(
                    "INSERT INTO studies (nct_id, status, last_update, fetched_at, raw_json) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (nct_id) DO UPDATE SET "
                    "status = excluded.status, last_update = excluded.last_update, "
                    "fetched_at = excluded.fetched_at, raw_json = excluded.raw_json",
                    (study.nct_id, study.status, study.last_update, fetched_at, text),
                )
                outcomes.append("inserted" if found is None else "updated")
        return outcomes

    # -- reads --------------------------------------------------------------------------------------

    def count(self, statuses: Sequence[str] | None = None) -> int:
        where, args = _status_filter(statuses)
        row = self._conn.execute(f"SELECT COUNT(*) FROM studies{where}", args).fetchone()
        return int(row[0])

    def nct_ids(self, statuses: Sequence[str] | None = None) -> list[str]:
        where, args = _status_filter(statuses)
        cursor = self._conn.execute(f"SELECT nct_id FROM studies{where} ORDER BY nct_id", args)
        return [str(r[0]) for r in cursor]

    def studies(self, statuses: Sequence[str] | None = None) -> list[Study]:
        """The stored studies (of these overall statuses, if given), by NCT id."""
        where, args = _status_filter(statuses)
        cursor = self._conn.execute(f"SELECT raw_json FROM studies{where} ORDER BY nct_id", args)
        return [study_from_v2(json.loads(r[0])) for r in cursor]

    def get(self, nct_id: str) -> Study | None:
        raw = self.raw(nct_id)
        return None if raw is None else study_from_v2(raw)

    def raw(self, nct_id: str) -> dict[str, Any] | None:
        """The stored v2 study object, as the API sent it."""
        row = self._conn.execute("SELECT raw_json FROM studies WHERE nct_id = ?", (nct_id,)).fetchone()
        if row is None:
            return None
        value: dict[str, Any] = json.loads(row[0])
        return value


def _status_filter(statuses: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    if statuses is None:
        return "", ()
    if isinstance(statuses, str):
        raise TypeError("statuses must be a sequence of status names, not one string")
    wanted = tuple(s.strip().upper() for s in statuses)
    if not wanted:
        return " WHERE 0", ()
    return f" WHERE status IN ({', '.join('?' * len(wanted))})", wanted


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception (autocommit connection)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
